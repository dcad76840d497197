#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""vsm-replay against tshark with the freshly built VSM plugin, on every bundled trace.

  compare_tshark.py <vsm-replay> <tools/tshark-vsm> <build dir> <traces dir>

Also the SCTP recording of traces/recorded/. decode --json and tshark -T fields must list the same messages in the same
frames with the same field values; check and tshark -2 must report the same
requirement IDs on the same frames. Exit 77 (skipped) without tshark or the plugin."""
import collections
import json
import os
import re
import shutil
import subprocess
import sys

# trace -> (vsm-replay options, tshark options)
SETTINGS = {
    "heuristic": (["--auto"], []),
    "sctp-decode-as": (["--port", "9900"], ["-d", "sctp.port==9900,vsm"]),
    "literal-length": (["--length-convention", "literal"], ["-o", "vsm.length_convention:literal"]),
    # vsm-replay always reassembles out-of-order segments; tshark needs to be told.
    "out-of-order": ([], ["-o", "tcp.reassemble_out_of_order:TRUE"]),
}
# Extra runs: the same trace with other settings.
EXTRA = [
    ("literal-length", [], []),
    ("late-ack", ["--ack-timeout", "2"], ["-o", "vsm.pairing_interval:2"]),
    ("not-vsm", ["--auto"], []),
    # A live SCTP session recorded in User-Mode Linux (tools/record-traces --sctp), port 7750.
    ("recorded/peers-story-sctp", [], []),
]
FIELDS = ["vsm.type", "vsm.subtype", "vsm.length", "vsm.code", "vsm.seq", "vsm.node_id", "vsm.function_id",
          "vsm.option.type", "vsm.option.subtype", "vsm.option.length", "vsm.option.value", "vsm.response_to"]

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def tshark(wrapper, build, args):
    r = subprocess.run([wrapper, "--build", build] + args, capture_output=True, text=True)
    if r.returncode != 0:
        failures.append("tshark %s: %s" % (" ".join(args), r.stderr.strip()[:300]))
    return r.stdout


def replay_fields(replay, trace, opts):
    """Per frame, the tshark-style field values of every message in it, concatenated."""
    r = subprocess.run([replay, "decode", "--json", "--no-progress"] + opts + [trace], capture_output=True, text=True)
    rows = collections.OrderedDict()
    for line in r.stdout.splitlines():
        m = json.loads(line)
        row = rows.setdefault(m["frame"], {f: [] for f in FIELDS})
        if "type" not in m:
            continue
        for key, field in [("type", "vsm.type"), ("subtype", "vsm.subtype"), ("length", "vsm.length"),
                           ("code", "vsm.code"), ("seq", "vsm.seq")]:
            row[field].append(str(m[key]))
        for o in m["options"]:
            row["vsm.option.type"].append(str(o["type"]))
            row["vsm.option.subtype"].append(str(o["subtype"]))
            row["vsm.option.length"].append(str(o["length"]))
            if o["hex"]:
                row["vsm.option.value"].append(o["hex"])
            if o["type"] == 4 and o["length"] == 4:
                row["vsm.node_id"].append(str(int(o["hex"], 16)))
            if o["type"] == 5 and o["length"] == 4:
                row["vsm.function_id"].append(str(int(o["hex"], 16)))
        if "response_to" in m:
            row["vsm.response_to"].append(str(m["response_to"]))
    return {frame: {f: ",".join(v) for f, v in row.items()} for frame, row in rows.items()}


def tshark_fields(wrapper, build, trace, opts):
    args = ["-r", trace, "-Y", "vsm", "-T", "fields", "-E", "separator=|", "-E", "occurrence=a", "-e", "frame.number"]
    for f in FIELDS:
        args += ["-e", f]
    rows = {}
    for line in tshark(wrapper, build, args + opts).splitlines():
        parts = line.split("|")
        rows[int(parts[0])] = dict(zip(FIELDS, parts[1:]))
    return rows


def replay_findings(replay, trace, opts):
    r = subprocess.run([replay, "check", "--no-progress"] + opts + [trace], capture_output=True, text=True)
    got = set()
    for line in r.stdout.splitlines():
        m = re.match(r"frame (\d+) .*?\[(VSM-[^\]]+)\]", line)
        if m:
            got.add((int(m.group(1)), m.group(2)))
    return got, r.returncode


def tshark_findings(wrapper, build, trace, opts):
    out = tshark(wrapper, build, ["-r", trace, "-2", "-Y", "vsm", "-T", "fields", "-E", "separator=|", "-e",
                                  "frame.number", "-e", "_ws.expert.message"] + opts)
    got = set()
    for line in out.splitlines():
        frame, _, msgs = line.partition("|")
        for rid in re.findall(r"\[(VSM-[A-Z0-9.\-]+)\]", msgs):
            got.add((int(frame), rid))
    return got


def main():
    replay, wrapper, build, traces = sys.argv[1:5]
    if shutil.which("tshark") is None or not os.path.exists(os.path.join(build, "dissector", "vsm.so")):
        print("tshark or the plugin (%s/dissector/vsm.so) is missing: skipped" % build)
        return 77
    # tools/tshark-vsm takes the build folder relative to the source tree.
    build = os.path.relpath(os.path.abspath(build), os.path.dirname(os.path.dirname(os.path.abspath(wrapper))))
    runs = []
    for name in sorted(os.listdir(traces)):
        if name.endswith(".pcapng"):
            base = name[:-len(".pcapng")]
            mine, theirs = SETTINGS.get(base, ([], []))
            runs.append((base, mine, theirs))
    runs += EXTRA
    total_msgs = 0
    for base, mine, theirs in runs:
        trace = os.path.join(traces, base + ".pcapng")
        label = "%s %s" % (base, " ".join(mine))
        a = replay_fields(replay, trace, mine)
        b = tshark_fields(wrapper, build, trace, theirs)
        check(sorted(a) == sorted(b), "%s: frames with VSM differ: replay %s, tshark %s" % (label, sorted(a), sorted(b)))
        for frame in sorted(set(a) & set(b)):
            for f in FIELDS:
                check(a[frame][f] == b[frame][f], "%s frame %d %s: replay %r, tshark %r" %
                      (label, frame, f, a[frame][f], b[frame][f]))
        total_msgs += sum(len(r["vsm.seq"].split(",")) for r in a.values() if r["vsm.seq"])
        fa, rc = replay_findings(replay, trace, mine)
        fb = tshark_findings(wrapper, build, trace, theirs)
        check(fa == fb, "%s: findings differ: only replay %s; only tshark %s" %
              (label, sorted(fa - fb), sorted(fb - fa)))
        print("%-28s %3d frames with VSM, %3d findings: %s" % (label, len(a), len(fa), "ok" if fa == fb else "DIFF"))
    check(total_msgs > 150, "only %d messages compared" % total_msgs)
    for f in failures:
        print("FAIL:", f)
    print("ok" if not failures else "FAILED (%d)" % len(failures))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
