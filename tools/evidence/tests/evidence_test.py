#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The evidence writer read back by real readers.

usage: evidence_test.py VSM_EVIDENCE_SAMPLE VSM_REPLAY SOURCE_DIR BUILD_DIR

For TCP and SCTP, over IPv4 and IPv6, vsm-evidence-sample writes a capture
(the codec's typical messages, one message above 65000 octets, a second
connection opened by its first message, FIN / SHUTDOWN); then
- vsm-replay decode (libpcap, the replay engine's reassembly) finds every
  message, without gap, cut or malformed-packet notices;
- tshark with the freshly built plugin (tools/tshark-vsm) decodes every
  message as VSM, finds no malformed packet, and validates every IPv4, TCP
  and SCTP (CRC32c) checksum.
Exit 77 (skipped, with the reason) when this build has no libwiretap; the
tshark part is skipped with a printed reason when tshark or the plugin is missing.
"""
import os
import shutil
import subprocess
import sys
import tempfile

sample, replay, src, build = sys.argv[1:5]
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


tshark_vsm = os.path.join(src, "tools", "tshark-vsm")
build_rel = os.path.relpath(build, src)
have_tshark = shutil.which("tshark") is not None and os.path.exists(os.path.join(build, "dissector", "vsm.so"))
if not have_tshark:
    print("skip the tshark part: tshark or the plugin is missing")


def tshark(path, *args):
    r = subprocess.run([tshark_vsm, "--build", build_rel, "-r", path, *args], capture_output=True, text=True, cwd=src,
                       timeout=120)
    return r.returncode, [x for x in r.stdout.splitlines() if x.strip()], r.stderr


with tempfile.TemporaryDirectory() as tmp:
    for transport in ("tcp", "sctp"):
        for family in ("v4", "v6"):
            what = f"{transport} over IP{family}"
            path = os.path.join(tmp, f"{transport}-{family}.pcapng")
            r = subprocess.run([sample, path, transport, family], capture_output=True, text=True)
            if r.returncode != 0 and "no libwiretap" in r.stderr:
                print("skipped: this build has no libwiretap, so the evidence writer is off (" + r.stderr.strip() + ")")
                sys.exit(77)
            check(r.returncode == 0, f"{what}: the sample capture is written: {r.stderr.strip()}")
            if r.returncode != 0:
                continue
            n = int(r.stdout.strip())

            d = subprocess.run([replay, "decode", "--json", path], capture_output=True, text=True)
            lines = [x for x in d.stdout.splitlines() if x.startswith("{")]
            check(d.returncode == 0 and len(lines) == n,
                  f"{what}: vsm-replay decode finds {len(lines)} messages of {n}")
            bad = [x for x in d.stderr.splitlines() if any(w in x for w in ("gap", "missing", "cut", "malformed"))]
            check(not bad, f"{what}: no gap, cut or malformed notice from vsm-replay: {bad[:3]}")

            if not have_tshark:
                continue
            rc, pdus, err = tshark(path, "-Y", "vsm", "-T", "fields", "-e", "vsm.type")
            count = sum(len(x.split(",")) for x in pdus)
            check(rc == 0 and count == n, f"{what}: tshark decodes {count} VSM messages of {n} {err.strip()[:200]}")
            rc, malformed, _ = tshark(path, "-Y", "_ws.malformed || _ws.expert.severity >= \"warning\" && !vsm")
            check(rc == 0 and not malformed, f"{what}: tshark finds no malformed packet or transport warning: "
                  f"{malformed[:3]}")
            proto = "sctp" if transport == "sctp" else "tcp"
            opts = ["-o", "sctp.checksum:CRC-32C"] if proto == "sctp" else ["-o", "tcp.check_checksum:TRUE"]
            if family == "v4":
                opts += ["-o", "ip.check_checksum:TRUE"]
            fields = [f"{proto}.checksum.status"] + (["ip.checksum.status"] if family == "v4" else [])
            rc, rows, err = tshark(path, *opts, "-T", "fields", *sum((["-e", f] for f in fields), []))
            values = [v for row in rows for v in row.split("\t")]
            check(rc == 0 and values and all(v == "1" for v in values),
                  f"{what}: tshark validates the {'/'.join(fields)} of {len(rows)} packets "
                  f"(non-good: {[v for v in values if v != '1'][:5]}) {err.strip()[:200]}")

if failures:
    print(f"{len(failures)} failure(s)")
    sys.exit(1)
