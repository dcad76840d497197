#!/usr/bin/env bash
# Demo of vsm-conform: the agent suite against the reference agent, the
# summary, the report path, and the evidence capture decoded by tshark with
# the project's plugin (when it is built). Meant to be called from tools/demo.
#   conformance/demo.sh [BUILD_DIR]      (default build/default)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build/default}
conform=$here/$build/conformance/vsm-conform
agent=$here/$build/tools/peers/vsm-agent
[[ -x $conform && -x $agent ]] || { echo "demo: build vsm-conform and vsm-agent in $build first" >&2; exit 2; }
out=$(mktemp -d /tmp/vsm-conform-demo.XXXXXX)
status=0
"$conform" run --iut agent --listen 127.0.0.1:0 --iut-cmd "$agent --manager {host}:{port}" \
  --profile "$here/conformance/profiles/reference-agent.yaml" \
  --report "$out/report.html" --junit "$out/junit.xml" --pcap "$out/evidence.pcapng" || status=$?
echo
echo "report:   $out/report.html"
echo "junit:    $out/junit.xml"
echo "evidence: $out/evidence.pcapng"
echo "manifest: $out/report.html.manifest.json (every output with its SHA-256)"
if [[ -f $here/$build/dissector/vsm.so && -x $here/tools/tshark-vsm ]] && command -v tshark >/dev/null; then
  echo
  echo "== the first test's messages, decoded by tshark with the VSM plugin (comments name test and findings)"
  "$here/tools/tshark-vsm" --build "$build" -r "$out/evidence.pcapng" -Y vsm -T fields \
    -e frame.number -e _ws.col.Info -e frame.comment 2>/dev/null | head -12 || true
else
  echo "(build the dissector plugin and install tshark to decode the evidence here)"
fi
exit "$status"
