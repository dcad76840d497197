#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Regenerates the traces into a temporary folder and compares them byte for
byte with the committed ones:  check_traces.py <vsm-tracegen> <traces folder>"""
import filecmp
import os
import subprocess
import sys
import tempfile


def main():
    tracegen, traces = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([tracegen, tmp], check=True)
        made = sorted(os.listdir(tmp))
        kept = sorted(n for n in os.listdir(traces) if n.endswith(".pcapng") or n.endswith(".expect"))
        ok = True
        if made != kept:
            print("trace list differs: generated %s, committed %s" % (made, kept))
            ok = False
        for name in made:
            committed = os.path.join(traces, name)
            if os.path.exists(committed) and not filecmp.cmp(os.path.join(tmp, name), committed, shallow=False):
                print("%s differs from the generator's output (run tools/gen-traces)" % name)
                ok = False
        listed = open(os.path.join(traces, "README.md")).read()
        for name in made:
            if name.endswith(".pcapng") and name not in listed:
                print("%s has no line in traces/README.md" % name)
                ok = False
    print("ok" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
