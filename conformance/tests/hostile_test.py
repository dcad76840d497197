#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Hostile implementations get a verdict within the guard timeout.

Runs a few built-in tests against hostile_peer.py in every mode, for both
roles, all at once; checks that the runner exits with 1 or 3 (never 0,
never a crash), that no test passes, and that each test ends within its
guard timeout (plus the time to stop the IUT).
"""
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

conform, here = sys.argv[1], os.path.dirname(os.path.abspath(__file__))
peer = os.path.join(here, "hostile_peer.py")
suites = os.path.join(here, "..", "suites")
MODES = ["garbage", "silence", "drip", "close-mid", "flood"]
TESTS = {"agent": ["AG-REG-01", "AG-KA-01"], "manager": ["MG-REG-01", "MG-SU-01"]}
SLACK = 4.0  # stopping the IUT: SIGTERM, 1.5 s grace, SIGKILL


def one(role, mode, tmp):
    js = os.path.join(tmp, f"{role}-{mode}.json")
    addr = ["--listen", "127.0.0.1:0"] if role == "agent" else ["--connect", "127.0.0.1:0"]
    argv = [conform, "run", "--iut", role, *addr, "--iut-cmd", f"{sys.executable} {peer} {role} {mode} {{host}} {{port}}",
            "--json", js, "--ack-timer", "1"]
    for t in TESTS[role]:
        argv += ["--test", t]
    t0 = time.monotonic()
    p = subprocess.run(argv, capture_output=True, text=True, timeout=150)
    dt = time.monotonic() - t0
    problems = []
    if p.returncode not in (1, 3):  # a failure, or inconclusive/error (vsm::cli::kExitUndecided)
        problems.append(f"exit status {p.returncode}")
    try:
        with open(js) as f:
            res = json.load(f)
        for t in res["tests"]:
            if t["verdict"] == "pass":
                problems.append(f'{t["id"]} passed')
            if t["seconds"] > 15 + SLACK:
                problems.append(f'{t["id"]} took {t["seconds"]:.1f} s')
        verdicts = " ".join(f'{t["id"]}={t["verdict"]}' for t in res["tests"])
    except (OSError, ValueError) as e:
        problems.append(f"no JSON ({e}): {p.stderr[-500:]}")
        verdicts = "-"
    return role, mode, dt, verdicts, problems, p


with tempfile.TemporaryDirectory() as tmp:
    with ThreadPoolExecutor(max_workers=5) as pool:
        rows = list(pool.map(lambda rm: one(*rm, tmp), [(r, m) for r in TESTS for m in MODES]))
bad = 0
print(f"{'role':<8} {'mode':<10} {'time':>6}  verdicts")
for role, mode, dt, verdicts, problems, p in rows:
    print(f"{role:<8} {mode:<10} {dt:5.1f}s  {verdicts}")
    for pr in problems:
        bad += 1
        print(f"    PROBLEM: {pr}")
    if problems:
        print(p.stdout[-2000:])
sys.exit(1 if bad else 0)
