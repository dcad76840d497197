#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Adds the VSM payloads of the bundled traces to a fuzz corpus: every TCP
segment payload and SCTP DATA chunk of traces/*.pcapng (and traces/recorded/),
as tshark (without the plugin) sees them, one seed file each.
   trace_seeds.py TRACES_DIR CORPUS_DIR"""
import glob
import os
import subprocess
import sys


def main():
    traces, corpus = sys.argv[1], sys.argv[2]
    files = sorted(glob.glob(os.path.join(traces, "*.pcapng")) + glob.glob(os.path.join(traces, "recorded", "*.pcapng")))
    if not files:
        print("no traces in %s" % traces)
        return 1
    seeds = set()
    for f in files:
        out = subprocess.run(["tshark", "-r", f, "-T", "fields", "-e", "tcp.payload", "-e", "data.data"],
                             capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            for field in line.replace("\t", ",").split(","):
                if field:
                    seeds.add(bytes.fromhex(field.replace(":", "")))
    for i, s in enumerate(sorted(seeds)):
        with open(os.path.join(corpus, "trace-%04d" % i), "wb") as out:
            out.write(s)
    print("%d seeds from %d traces written to %s" % (len(seeds), len(files), corpus))
    return 0


if __name__ == "__main__":
    sys.exit(main())
