#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Blame where it belongs (issue 13, item 4), against the faulty reference agent.

usage: blame_test.py VSM_CONFORM VSM_AGENT PROFILE

A requirement is failed only where its own check or expectation failed:
- add-ack-no-status (ADD ACKs without Running status): AG-OP-ADD fails
  VSM-6.3.2-ACK-OPTIONS only (not the Status-Update, Node ID, option
  requirements of the test); AG-OP-ADD-DUP, whose preamble adds a Function,
  fails VSM-6.3.2-ACK-OPTIONS only (not VSM-4-UNIQUE-IDS, which it verified);
- no-status-update-after-add: AG-OP-DELETE's preamble cannot reach its point
  (no Status-Update after ADD): inconclusive, no requirement failed.
"""
import json
import os
import subprocess
import sys
import tempfile

from checks import check, done

conform, agent, profile = sys.argv[1:4]


def run(tmp, fault, tests):
    js = os.path.join(tmp, fault + ".json")
    argv = [conform, "run", "--iut", "agent", "--listen", "127.0.0.1:0",
            "--iut-cmd", f"{agent} --manager {{host}}:{{port}} --fault {fault}", "--profile", profile,
            "--ack-timer", "1", "--json", js]
    for t in tests:
        argv += ["--test", t]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    print(p.stdout[-2500:])
    with open(js) as f:
        return {t["id"]: t for t in json.load(f)["tests"]}


with tempfile.TemporaryDirectory() as tmp:
    r = run(tmp, "add-ack-no-status", ["AG-OP-ADD", "AG-OP-ADD-DUP"])
    for tid in ("AG-OP-ADD", "AG-OP-ADD-DUP"):
        t = r[tid]
        check(t["verdict"] == "fail", f"{tid}: fail ({t['reason']})")
        check(t["failed_requirements"] == ["VSM-6.3.2-ACK-OPTIONS"],
              f"{tid}: only VSM-6.3.2-ACK-OPTIONS failed ({t['failed_requirements']})")
    r = run(tmp, "no-status-update-after-add", ["AG-OP-DELETE"])
    t = r["AG-OP-DELETE"]
    check(t["verdict"] == "inconclusive", f"AG-OP-DELETE: inconclusive ({t['verdict']}: {t['reason']})")
    check(t["failed_requirements"] == [], f"AG-OP-DELETE: no requirement failed ({t['failed_requirements']})")

done()
