#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""vsm-conform over SCTP against the reference peers.

usage: sctp_test.py VSM_UML VSM_CONFORM VSM_AGENT VSM_MANAGER VSM_REPLAY SOURCE_DIR BUILD_DIR

ctest uml.conformance.sctp. This machine's kernel has no SCTP, so the live
part runs inside User-Mode Linux (VSM_UML, tools/uml/vsm-uml, which calls this
script again with --live DIR):
- the agent suite and the manager suite, --transport sctp, against vsm-agent /
  vsm-manager --transport sctp with the reference profiles (which claim SCTP,
  capability sctp): exit 0, and the VSM-5-SCTP tests (AG-SCTP-*, MG-SCTP-*)
  pass rather than being not applicable, with no note that SCTP goes untested;
- the agent's SCTP tests again with --sctp-ppid 4242 on the runner's chunks;
- on the kernel with SCTP, the runner refuses nothing: --transport sctp runs.
Then, back on this machine (process start-up is slow in UML, tshark most of
all), the SCTP evidence of each suite run (--pcap) is read back: vsm-replay
decode --auto finds every message on an SCTP association, and notices only the
robustness tests' truncated messages; tshark with the freshly built plugin (Decode As on the
kernel-chosen ports) decodes as many VSM messages and validates every SCTP
checksum. Exit 77 only when vsm-uml says the kernel cannot start.
"""
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def finish():
    if failures:
        print(f"{len(failures)} failure(s)")
        sys.exit(1)
    print("all SCTP conformance checks passed")
    sys.exit(0)


def live(out, conform, agent, manager, src):
    """Inside User-Mode Linux: the suites over SCTP, evidence into OUT."""
    import socket
    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_SCTP).close()
    except OSError as e:
        check(False, f"this kernel offers SCTP: {e}")
        finish()
    profiles = os.path.join(src, "conformance", "profiles")

    def run_suite(role, name, *extra):
        if role == "agent":
            addr, cmd = ["--listen", "127.0.0.1:0"], f"{agent} --transport sctp --manager {{host}}:{{port}}"
        else:
            addr, cmd = ["--connect", "127.0.0.1:0"], f"{manager} --transport sctp --listen {{host}}:{{port}}"
        junit = os.path.join(out, f"{name}.xml")
        argv = [conform, "run", "--iut", role, *addr, "--transport", "sctp", "--iut-cmd", cmd, "--profile",
                os.path.join(profiles, f"reference-{role}.yaml"), "--suite", os.path.join(src, "conformance", "suites"),
                "--pcap", os.path.join(out, f"{name}.pcapng"), "--junit", junit, *extra]
        p = subprocess.run(argv, capture_output=True, text=True, timeout=500)
        print(p.stdout[-2500:] + p.stderr[-1500:])
        check(p.returncode == 0, f"{role} suite over SCTP {' '.join(extra)}: exit {p.returncode}")
        check("note: the profile claims SCTP" not in p.stdout, f"{role}: no note that SCTP goes untested")
        verdicts = {}
        if os.path.exists(junit):
            for tc in ET.parse(junit).getroot().iter("testcase"):
                bad = [t for t in ("failure", "error", "skipped") if tc.find(t) is not None]
                verdicts[tc.get("name").split()[0]] = bad[0] if bad else "pass"
        return verdicts

    for role, ids in (("agent", ("AG-SCTP-01", "AG-SCTP-02")), ("manager", ("MG-SCTP-01", "MG-SCTP-02"))):
        v = run_suite(role, role)
        for i in ids:
            check(v.get(i) == "pass", f"{i} (VSM-5-SCTP) passes over SCTP: {v.get(i)}")
    # A non-zero PPID on the runner's DATA chunks changes nothing for the agent.
    v = run_suite("agent", "agent-ppid", "--sctp-ppid", "4242", "--group", "sctp")
    check(v.get("AG-SCTP-01") == "pass" and v.get("AG-SCTP-02") == "pass", f"--sctp-ppid 4242: {v}")
    finish()


def read_back(pcap, role, replay, src, build):
    d = subprocess.run([replay, "decode", "--auto", "--json", pcap], capture_output=True, text=True, timeout=120)
    rows = [json.loads(x) for x in d.stdout.splitlines() if x.startswith("{")]
    msgs = [x for x in rows if "type" in x]
    check(d.returncode == 0 and len(msgs) > 20, f"{role} evidence: vsm-replay decode finds {len(msgs)} messages")
    check(all(x.get("transport") == "sctp" for x in msgs), f"{role} evidence: every message on an SCTP association")
    # The robustness tests send truncated messages on purpose: those (and only such) end an association early.
    cut = [line for line in d.stderr.splitlines() if "gap:" in line or "cut" in line or "malformed" in line]
    check(all("association ends inside a message" in line for line in cut),
          f"{role} evidence: vsm-replay's only notices are the deliberately truncated messages: {cut[:2]}")
    tshark_vsm = os.path.join(src, "tools", "tshark-vsm")
    rel = os.path.relpath(build, src)
    # The dissector has no SCTP heuristic and the ports are kernel-chosen: Decode As on each, as a user would.
    ports = subprocess.run([tshark_vsm, "--build", rel, "-r", pcap, "-T", "fields", "-e", "sctp.srcport"],
                           capture_output=True, text=True, cwd=src, timeout=120).stdout.split()
    decode_as = [a for p in sorted(set(ports)) for a in ("-d", f"sctp.port=={p},vsm")]
    t = subprocess.run([tshark_vsm, "--build", rel, "-r", pcap, *decode_as, "-o", "sctp.checksum:CRC-32C", "-Y", "vsm",
                        "-T", "fields", "-e", "vsm.seq", "-e", "sctp.checksum.status"],
                       capture_output=True, text=True, cwd=src, timeout=120)
    rows = [r.split("\t") for r in t.stdout.splitlines() if r.strip()]
    count = sum(len(r[0].split(",")) for r in rows)
    check(t.returncode == 0 and count == len(msgs),
          f"{role} evidence: tshark with the plugin decodes {count} VSM messages of {len(msgs)} {t.stderr[-300:]}")
    check(rows and all(len(r) > 1 and r[1] == "1" for r in rows),
          f"{role} evidence: tshark validates the SCTP checksum of each of the {len(rows)} packets")


def main():
    if sys.argv[1] == "--live":
        live(*sys.argv[2:7])
    uml, conform, agent, manager, replay, src, build = sys.argv[1:8]
    with tempfile.TemporaryDirectory() as out:
        os.chmod(out, 0o755)
        r = subprocess.run([uml, "--timeout", "560", "--", sys.executable if not os.path.exists("/usr/bin/python3")
                            else "/usr/bin/python3", os.path.abspath(__file__), "--live", out, conform, agent, manager,
                            src], text=True)
        if r.returncode == 77:
            sys.exit(77)
        check(r.returncode == 0, f"the live SCTP part inside User-Mode Linux: exit {r.returncode}")
        for role in ("agent", "manager"):
            pcap = os.path.join(out, f"{role}.pcapng")
            if os.path.exists(pcap):
                read_back(pcap, role, replay, src, build)
            else:
                check(False, f"{role} suite wrote its SCTP evidence")
    finish()


if __name__ == "__main__":
    main()
