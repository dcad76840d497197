#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Connections the implementation opens during a test are seen (issue 13, item 2).

usage: extra_conn_test.py VSM_CONFORM
       extra_conn_test.py --peer HOST PORT     (the fake agent the runner starts)

The fake agent registers on one connection, then opens a second and a third.
The scenario's second accept, after both arrived, takes the oldest (the
second), whose Registration was read already: its messages are shown under
the name the step gives it. No step takes the third, which carries a
Registration with Code 5 (VSM-6.1-CODE-ZERO): the runner must read it too,
so the test fails on the always-on check naming VSM-6.1-CODE-ZERO and the
message is on the test's ladder. (A runner that leaves unasked connections
unread passes the test.)

The messages are written byte by byte on purpose (codec/PROFILE.md: Type,
Sub-Type, Length = total - 4, Code, 24-bit Sequence; Node ID option type 4).
"""
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time


def registration(seq, code=0):
    opt = struct.pack("!BBHI", 4, 0, 4, 0)
    return struct.pack("!BBHB", 1, 0, 4 + len(opt), code) + seq.to_bytes(3, "big") + opt


def peer(host, port):
    a = socket.create_connection((host, port))
    a.sendall(registration(1))
    a.recv(4096)  # the ACK
    b = socket.create_connection((host, port))
    b.sendall(registration(1))
    time.sleep(0.3)
    c = socket.create_connection((host, port))
    c.sendall(registration(1, code=5))
    time.sleep(30)


SUITE = """
suite: extra
role: agent
tests:
  - id: EXTRA-CONN
    title: a connection no step accepts is read and checked
    requirements: [VSM-6.1-CODE-ZERO]
    policy: {settle_acks: false}
    body:
      - accept: {}
      - expect: {type: registration, as: reg, timeout: 5}
      - ack: {of: reg}
      - wait: 1.0
      # the second and third connections arrived before this step: it takes the second, already read
      - accept: {conn: late}
      - expect: {conn: late, type: registration, timeout: 1}
"""


def main():
    if sys.argv[1] == "--peer":
        peer(sys.argv[2], int(sys.argv[3]))
        return 0
    conform = sys.argv[1]
    failures = []

    def check(cond, what):
        print(("ok   " if cond else "FAIL ") + what)
        if not cond:
            failures.append(what)

    with tempfile.TemporaryDirectory() as tmp:
        suite = os.path.join(tmp, "extra.yaml")
        with open(suite, "w") as f:
            f.write(SUITE)
        js = os.path.join(tmp, "r.json")
        cmd = f"{sys.executable} {os.path.abspath(__file__)} --peer {{host}} {{port}}"
        p = subprocess.run([conform, "run", "--iut", "agent", "--listen", "127.0.0.1:0", "--iut-cmd", cmd,
                            "--suite", suite, "--json", js], capture_output=True, text=True, timeout=60)
        print(p.stdout[-3000:], p.stderr[-2000:])
        with open(js) as f:
            t = json.load(f)["tests"][0]
        check(t["verdict"] == "fail", f"the test fails ({t['verdict']}: {t['reason']})")
        check(t["failed_requirements"] == ["VSM-6.1-CODE-ZERO"],
              f"it names VSM-6.1-CODE-ZERO only ({t['failed_requirements']})")
        conns = {m["conn"] for m in t["messages"] if m["dir"] == "iut->runner"}
        check(len(conns) == 3, f"the ladder shows the IUT's three connections ({sorted(conns)})")
        check("late" in conns, "the connection the second accept took is shown under its name")
        check(p.returncode == 1, f"exit status 1 ({p.returncode})")
    print(f"\n{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
