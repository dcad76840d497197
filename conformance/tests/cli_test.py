#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Command line, exit codes, lint, requirements coverage and the output formats (cli_outputs.py: help per
subcommand, --version, unwritable outputs, manifest, --pcap-dir, --rerun-failed, the HTML report)."""
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

conform, agent = sys.argv[1], sys.argv[2]
here = os.path.dirname(os.path.abspath(__file__))
profiles = os.path.join(here, "..", "profiles")
failures = 0


def run(*argv, code):
    global failures
    p = subprocess.run([conform, *argv], capture_output=True, text=True, timeout=120)
    ok = p.returncode == code
    print(f"{'ok  ' if ok else 'FAIL'} exit {p.returncode} (want {code}): vsm-conform {' '.join(argv)[:110]}")
    if not ok:
        failures += 1
        print(p.stdout[-2000:], p.stderr[-2000:])
    return p


def check(cond, what):
    global failures
    print(f"{'ok  ' if cond else 'FAIL'} {what}")
    if not cond:
        failures += 1


agent_run = ["run", "--iut", "agent", "--listen", "127.0.0.1:0", "--iut-cmd", f"{agent} --manager {{host}}:{{port}}"]

run(code=2)
run("run", "--iut", "agent", code=2)
run("run", "--iut", "robot", "--listen", "127.0.0.1:0", code=2)
run("run", "--iut", "manager", "--connect", "127.0.0.1:7750", "--listen", "127.0.0.1:1", code=2)
agent_profile = ["--profile", os.path.join(profiles, "reference-agent.yaml")]
try:
    import socket
    socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_SCTP).close()
    # This kernel has SCTP (User-Mode Linux, ctest uml.conformance.cli): the runner speaks it.
    sctp_run = ["run", "--iut", "agent", "--listen", "127.0.0.1:0", "--iut-cmd",
                f"{agent} --transport sctp --manager {{host}}:{{port}}", "--transport", "sctp", *agent_profile]
    p = run(*sctp_run, "--test", "AG-SCTP-01", code=0)
    check("pass" in p.stdout and "AG-SCTP-01" in p.stdout, "--transport sctp: AG-SCTP-01 passes over SCTP")
except OSError:
    assert not os.environ.get("VSM_UML"), "no SCTP inside User-Mode Linux"
    p = run(*agent_run, "--transport", "sctp", code=2)
    check("SCTP transport unavailable" in p.stderr, "--transport sctp says why SCTP is unavailable")
# VSM-5-SCTP: a TCP run leaves the SCTP tests not applicable, says so, and says the profile claims SCTP.
p = run(*agent_run, *agent_profile, "--test", "AG-SCTP-01", "--test", "AG-REG-01", code=0)
check("an SCTP test (VSM-5-SCTP): it runs with --transport sctp" in p.stdout,
      "TCP run: AG-SCTP-01 is not applicable, with the reason")
check("note: the profile claims SCTP" in p.stdout, "TCP run: the runner says the profile's SCTP claim is untested")
run(*agent_run, "--test", "NO-SUCH-TEST", code=2)
run(*agent_run, "--shard", "4/3", code=2)
p = run("list", code=0)
check("AG-REG-01" in p.stdout and "MG-REG-01" in p.stdout, "list shows both suites")
p = run("requirements", code=0)
check("UNCOVERED" not in p.stdout, "requirements: no uncovered entry of scope Message/Exchange")
sctp_row = [line for line in p.stdout.splitlines() if "VSM-5-SCTP" in line]
check(sctp_row and all(t in sctp_row[0] for t in ("AG-SCTP-01", "AG-SCTP-02", "MG-SCTP-01", "MG-SCTP-02")),
      f"requirements: VSM-5-SCTP lists its tests: {sctp_row}")

with tempfile.TemporaryDirectory() as tmp:
    bad = os.path.join(tmp, "bad.yaml")
    with open(bad, "w") as f:
        f.write("role: agent\ntests:\n  - id: X-1\n    title: t\n    requirements: [VSM-5-ACK]\n"
                "    body:\n      - send: {type: keep_alive, options: [{no_such_option: 1}]}\n"
                "      - frobnicate: {}\n")
    p = run("lint", bad, code=1)
    check("no_such_option" in p.stderr, "lint names the unknown option")
    badreq = os.path.join(tmp, "badreq.yaml")
    with open(badreq, "w") as f:
        f.write("role: agent\ntests:\n  - id: X-2\n    title: t\n    requirements: [VSM-9-NOPE]\n"
                "    body:\n      - wait: 0.1\n")
    run("lint", badreq, code=1)
    run("lint", os.path.join(here, "..", "suites", "agent.yaml"), os.path.join(here, "..", "suites", "manager.yaml"),
        code=0)
    # One lint run names every mistake of a file, each with FILE:LINE:COLUMN, near misses with a suggestion.
    six = os.path.join(tmp, "six.yaml")
    with open(six, "w") as f:
        f.write("role: agent\ntests:\n  - id: SIX-1\n    title: six mistakes\n    requirements: [VSM-5-AKC]\n"
                "    body:\n"
                "      - call: regster\n"
                "      - send: {type: keepalive, options: [{node_id: $nodx}, {node_info.mem_totl: \"\"}]}\n"
                "      - expect: {type: ack, seq: $sent_seq, timout: 2}\n"
                "      - expcet: {type: ack}\n")
    p = run("lint", six, code=1)
    lines = p.stderr.splitlines()
    want = [f"{six}:5:20: unknown requirement 'VSM-5-AKC' (did you mean VSM-5-ACK?)",
            f"{six}:7:15: unknown fragment 'regster' (did you mean register?)",
            f"{six}:8:22: unknown message type 'keepalive' (did you mean keep_alive?)",
            f"{six}:8:62: unknown node_info item 'mem_totl' (did you mean mem_total?)",
            f"{six}:9:45: expect: unknown key 'timout' (did you mean timeout?)",
            f"{six}:10:9: unknown step 'expcet' (did you mean expect?)"]
    check(lines == want, "lint: six mistakes, six diagnostics in one run, with line, column and suggestion:\n  "
          + "\n  ".join(lines))
    # With --profile, a variable neither the suite, the profile nor the role's defaults define is a mistake too;
    # run says the same.
    p = run("lint", "--profile", os.path.join(profiles, "reference-agent.yaml"), six, code=1)
    check(f"{six}:8:53: unknown variable $nodx: neither the suite nor the profile defines it" in p.stderr,
          "lint --profile: the variable the profile does not define, with its position")
    run("lint", "--profile", os.path.join(profiles, "reference-agent.yaml"),
        os.path.join(here, "..", "suites", "agent.yaml"), code=0)
    badvar = os.path.join(tmp, "badvar.yaml")
    with open(badvar, "w") as f:
        f.write("role: agent\ntests:\n  - id: V-1\n    title: t\n    requirements: [VSM-5-ACK]\n"
                "    body:\n      - accept: {}\n      - send: {type: keep_alive, options: [{node_id: $nod}]}\n")
    p = run(*agent_run, "--profile", os.path.join(profiles, "reference-agent.yaml"), "--suite", badvar, code=3)
    check("error" in p.stdout and f"{badvar}:8:54: unknown variable $nod" in p.stdout and "$node?" in p.stdout,
          "run: a test using a variable nobody defines ends in error with the lint diagnostic")

    # Nothing applicable is not a pass: a profile without capabilities makes the operation tests NA.
    bare = os.path.join(tmp, "bare.yaml")
    with open(bare, "w") as f:
        f.write("name: bare\ncapabilities: []\n")
    p = run(*agent_run, "--profile", bare, "--group", "operations", code=3)
    check(" NA " in p.stdout, "NA verdicts are printed")

    junit, tap, js = (os.path.join(tmp, n) for n in ("r.xml", "r.tap", "r.json"))
    run(*agent_run, "--profile", os.path.join(profiles, "reference-agent.yaml"), "--test", "AG-KA-01", "--test",
        "AG-OP-ADD", "--profile", os.path.join(profiles, "reference-agent.yaml"), code=2)  # --profile twice
    run(*agent_run, "--profile", os.path.join(profiles, "reference-agent.yaml"), "--test", "AG-KA-01", "--test",
        "AG-OP-ADD", "--junit", junit, "--tap", tap, "--json", js, "--report", os.path.join(tmp, "r.html"), code=0)
    with open(os.path.join(tmp, "r.html")) as f:
        page = f.read()
    check(page.count("<svg") == 2 and "VSM-6.2.6-ACK-SEQ" in page and "http" not in page.replace(
        "http://www.w3.org/2000/svg", ""), "HTML report: self-contained, ladders, requirements")
    root = ET.parse(junit).getroot()
    cases = root.findall(".//testcase")
    check(len(cases) == 2, "JUnit has two testcases")
    props = [p.get("value") for p in cases[0].findall("./properties/property[@name='requirement']")]
    check("VSM-5-ACK" in props, "JUnit testcase carries its requirement IDs as properties")
    with open(tap) as f:
        lines = f.read().splitlines()
    check(lines[0] == "TAP version 14" and lines[1] == "1..2" and lines[2].startswith("ok 1 - AG-KA-01"), "TAP 14")
    with open(js) as f:
        res = json.load(f)
    check([t["verdict"] for t in res["tests"]] == ["pass", "pass"] and res["exit_code"] == 0, "JSON verdicts")
    check(any(m["dir"] == "iut->runner" for m in res["tests"][0]["messages"]), "JSON keeps the message ladder")
    ev = os.path.join(tmp, "ev.pcapng")
    p = run(*agent_run, "--profile", os.path.join(profiles, "reference-agent.yaml"), "--test", "AG-KA-01", "--pcap", ev,
            code=0)
    if "no libwiretap" not in p.stderr:
        with open(ev, "rb") as f:
            data = f.read()
        check(data[:4] == b"\x0a\x0d\x0d\x0a" and b"vsm-conform test AG-KA-01" in data,
              "--pcap: pcapng with per-packet comments naming the test")
    p = run(*agent_run, "--profile", os.path.join(profiles, "reference-agent.yaml"), "--group", "keepalive",
            "--shard", "1/2", code=0)
    check("[  1/2]" in p.stdout, "--shard 1/2 runs half of the keepalive group")

import cli_outputs  # noqa: E402  (the second half: issue 13's conventions and outputs)
cli_outputs.main(conform, agent, profiles, run, check)
sys.exit(1 if failures else 0)
