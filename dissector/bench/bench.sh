#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark (not a test): times tshark over a capture of VSM messages with the
# plugin, against the same capture dissected as plain data, and prints the ratio.
#   dissector/bench/bench.sh <vsm.so> <vsm-tracegen> [messages=200000]
set -eu
plugin=$1
tracegen=$2
count=${3:-200000}
work=$(mktemp -d /tmp/vsm-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
# The personal plugin folder is named after the release of the tshark that runs.
release=$(tshark --version 2>/dev/null | sed -n 's/^TShark (Wireshark) \([0-9]*\.[0-9]*\)\..*/\1/p' | head -n 1)
[ -n "$release" ] || { echo "bench.sh: cannot tell the Wireshark release of tshark" >&2; exit 2; }
mkdir -p "$work/home/.local/lib/wireshark/plugins/$release/epan"
cp "$plugin" "$work/home/.local/lib/wireshark/plugins/$release/epan/vsm.so"
chmod -R a+rX "$work"
"$tracegen" --bench "$count" "$work/bench.pcapng"
chmod a+r "$work/bench.pcapng"

run() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u nobody -- env HOME="$work/home" tshark "$@"
  else
    HOME="$work/home" tshark "$@"
  fi
}
now() { date +%s.%N; }
# Warm the page cache and check the capture decodes.
pdus=$(run -r "$work/bench.pcapng" -T fields -e vsm.seq -E occurrence=a -E aggregator=, | tr ',' '\n' | grep -c .)
echo "capture: $count messages generated, $pdus VSM PDUs decoded, $(stat -c %s "$work/bench.pcapng") bytes"

# Best of three runs each, alternating.
best_vsm=; best_data=
for i in 1 2 3; do
  t0=$(now); run -r "$work/bench.pcapng" >/dev/null; t1=$(now)
  run -r "$work/bench.pcapng" -d tcp.port==7750,data >/dev/null; t2=$(now)
  v=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
  d=$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.3f", b - a }')
  best_vsm=$(awk -v x="$v" -v y="${best_vsm:-1e9}" 'BEGIN { print (x < y) ? x : y }')
  best_data=$(awk -v x="$d" -v y="${best_data:-1e9}" 'BEGIN { print (x < y) ? x : y }')
done
awk -v vsm="$best_vsm" -v data="$best_data" 'BEGIN {
  printf "tshark -r with the VSM plugin:              %.2f s\n", vsm;
  printf "tshark -r as data (-d tcp.port==7750,data): %.2f s\n", data;
  printf "ratio VSM / data: %.2f (target <= 1.10)\n", vsm / data;
}'
