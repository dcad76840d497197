#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Early stop when the implementation cannot start or never connects (issue 13, item 5).

usage: early_stop_test.py VSM_CONFORM

Each run stops after its first test with an error whose reason shows the
command's exit status and the last lines of its output (without --iut-log),
marks every further test "not run: ..." at once, and says so; no run waits
the connect timeout per test.
"""
import json
import os
import subprocess
import sys
import tempfile

from checks import check, done

conform = sys.argv[1]


def run(tmp, name, argv, must_have):
    js = os.path.join(tmp, name + ".json")
    p = subprocess.run([conform, "run", *argv, "--json", js], capture_output=True, text=True, timeout=120)
    with open(js) as f:
        tests = json.load(f)["tests"]
    ran = [t for t in tests if t["verdict"] != "NA"]
    first, rest = ran[0], ran[1:]
    check(first["verdict"] == "error", f"{name}: the first test is an error ({first['verdict']}: {first['reason']})")
    for m in must_have:
        check(m in first["reason"], f"{name}: its reason shows '{m}'")
    check(rest and all(t["verdict"] == "error" and t["reason"].startswith("not run: ") for t in rest),
          f"{name}: the {len(rest)} further tests are 'not run'")
    check("stopped early: " in p.stdout, f"{name}: the run says it stopped early")
    check(p.returncode == 3, f"{name}: exit status {p.returncode}, 3: no failure, an error verdict")


with tempfile.TemporaryDirectory() as tmp:
    run(tmp, "nonexistent", ["--iut", "agent", "--listen", "127.0.0.1:0",
                             "--iut-cmd", "/nonexistent/agent --manager {host}:{port}"],
        ["status 127", "cannot run /nonexistent/agent: No such file or directory"])
    run(tmp, "exits-at-once", ["--iut", "agent", "--listen", "127.0.0.1:0",
                               "--iut-cmd", "sh -c 'echo first line >&2; echo agent gave up >&2; exit 4'"],
        ["status 4", "agent gave up"])
    run(tmp, "nobody-connects", ["--iut", "agent", "--listen", "127.0.0.1:0"],
        ["did not connect", "no --iut-cmd"])
    run(tmp, "manager-exits", ["--iut", "manager", "--connect", "127.0.0.1:0",
                               "--iut-cmd", "sh -c 'echo bad option >&2; exit 2'"],
        ["status 2", "bad option"])
    # A connection the runner cannot make, no --iut-cmd: one connect attempt, then stop.
    run(tmp, "manager-absent", ["--iut", "manager", "--connect", "127.0.0.1:9"], ["could not connect", "no --iut-cmd"])

done()
