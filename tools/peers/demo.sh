#!/usr/bin/env bash
# Starts vsm-manager with the service-mobility story and two vsm-agents on
# loopback, prints each step of the plan, and stops agent 1 when the story
# waits for it to de-register.
#   tools/peers/demo.sh [--capture OUT.pcapng] [--transport tcp|sctp] [--port P] [BUILD_DIR]
# --capture records the manager's port on lo with dumpcap (where capture
# is permitted), e.g. into traces/peers-story.pcapng. --transport sctp runs
# the manager connections over SCTP (a kernel with SCTP: tools/uml/vsm-uml);
# --port fixes the manager's port (default: any free one).
set -euo pipefail
cd "$(dirname "$0")/../.."
capture=
transport=tcp
port=0
while [[ ${1:-} == --* ]]; do
  case $1 in
    --capture) capture=$2 ;;
    --transport) transport=$2 ;;
    --port) port=$2 ;;
    *) echo "demo.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift 2
done
build=${1:-build/default}
bin=$build/tools/peers
[[ -x $bin/vsm-manager && -x $bin/vsm-agent ]] || {
  echo "demo.sh: build the peers first (cmake --build $build --target vsm-manager vsm-agent)" >&2
  exit 2
}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

wait_for() {  # FILE PATTERN [SECONDS]: poll for a log line, 10 s at most by default
  for _ in $(seq $((${3:-10} * 20))); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "demo.sh: no '$2' in $1" >&2
  cat "$1" >&2
  return 1
}

dumpcap_pid=
start_capture() {
  command -v dumpcap >/dev/null || { echo "demo.sh: dumpcap not found" >&2; exit 2; }
  dumpcap -q -i lo -f "$transport port $1" -w "$capture" 2>"$work/dumpcap.err" &
  dumpcap_pid=$!
  wait_for "$work/dumpcap.err" "Capturing on" 120  # dumpcap starts slowly in User-Mode Linux
}
# With a fixed port the capture starts first: the plan's first step would time out waiting for a slow dumpcap.
if [[ -n $capture && $port != 0 ]]; then start_capture "$port"; fi

"$bin/vsm-manager" --transport "$transport" --listen "127.0.0.1:$port" --plan tools/peers/examples/story.yaml --keepalive-interval 1 \
  --state-file "$work/manager.json" 2>"$work/manager.err" &
manager=$!
wait_for "$work/manager.err" "listening on"
port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/manager.err")
echo "manager listening on 127.0.0.1:$port"
if [[ -n $capture && -z $dumpcap_pid ]]; then start_capture "$port"; fi

"$bin/vsm-agent" --transport "$transport" --manager "127.0.0.1:$port" --state-file "$work/agent1.json" 2>"$work/agent1.err" &
agent1=$!
wait_for "$work/manager.err" "node 1 registered"
"$bin/vsm-agent" --transport "$transport" --manager "127.0.0.1:$port" --state-file "$work/agent2.json" 2>"$work/agent2.err" &

until grep -q "wait until node 1 has de-registered" "$work/manager.err" || ! kill -0 $manager 2>/dev/null; do
  sleep 0.05
done
kill -TERM $agent1 2>/dev/null || true
status=0
wait $manager || status=$?
wait $agent1 2>/dev/null || true
if [[ -n $dumpcap_pid ]]; then
  sleep 0.2  # the last FIN/ACK segments
  kill -INT $dumpcap_pid
  wait $dumpcap_pid || true
  echo "capture written to $capture"
fi
echo
echo "== agent 1 at exit"
cat "$work/agent1.json"
echo "== manager log"
cat "$work/manager.err"
exit $status
