#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The draft's full PICS by default, and `profile init` (issue 13, item 1).

usage: pics_test.py VSM_CONFORM VSM_AGENT VSM_MANAGER

For each role: a run without --profile against the reference peer passes
(exit 0), says in one line what it assumes, and every NA test is NA only for
a trigger or for the other transport (SCTP, which the draft leaves optional);
`profile init` writes a profile that lint accepts and with which the run
passes too; lint rejects a spoiled copy of it.
"""
import json
import os
import subprocess
import sys
import tempfile

from checks import check, done

conform, agent, manager = sys.argv[1:4]


def run(role, extra, tmp, tag):
    js = os.path.join(tmp, f"{role}-{tag}.json")
    if role == "agent":
        argv = [conform, "run", "--iut", "agent", "--listen", "127.0.0.1:0",
                "--iut-cmd", f"{agent} --manager {{host}}:{{port}}"]
    else:
        argv = [conform, "run", "--iut", "manager", "--connect", "127.0.0.1:0",
                "--iut-cmd", f"{manager} --listen {{host}}:{{port}}"]
    p = subprocess.run(argv + extra + ["--json", js], capture_output=True, text=True, timeout=300)
    with open(js) as f:
        return p, json.load(f)


with tempfile.TemporaryDirectory() as tmp:
    for role in ("agent", "manager"):
        p, res = run(role, [], tmp, "default")
        check(p.returncode == 0, f"{role}: a run without --profile passes (exit {p.returncode})")
        if p.returncode != 0:
            print(p.stdout[-4000:], p.stderr[-2000:])
        check(f"no --profile: assuming the draft's full PICS for" in p.stdout, f"{role}: the run says what it assumes")
        na = [t for t in res["tests"] if t["verdict"] == "NA"]
        bad = [t for t in na if not (t["reason"].startswith("needs a trigger")
                                     or t["reason"].startswith("an SCTP test"))]
        check(not bad, f"{role}: every NA test needs a trigger or SCTP: {[(t['id'], t['reason']) for t in bad]}")
        errors = [t["id"] for t in res["tests"] if t["verdict"] in ("error", "inconclusive", "fail")]
        check(not errors, f"{role}: no error, inconclusive or fail: {errors}")
        check(sum(1 for t in res["tests"] if t["verdict"] == "pass") > len(na), f"{role}: most tests run")

        prof = os.path.join(tmp, f"{role}.yaml")
        p = subprocess.run([conform, "profile", "init", "--iut", role, "-o", prof], capture_output=True, text=True)
        check(p.returncode == 0 and os.path.getsize(prof) > 0, f"{role}: profile init writes {prof}")
        text = open(prof).read()
        for word in ("capabilities:", "timers:", "triggers:", "vars:", "enables", "used by"):
            check(word in text, f"{role}: the template has '{word}'")
        p = subprocess.run([conform, "lint", "--profile", prof], capture_output=True, text=True)
        check(p.returncode == 0 and not p.stderr.strip(), f"{role}: lint --profile accepts it ({p.stderr.strip()})")
        spoiled = os.path.join(tmp, f"{role}-bad.yaml")
        with open(spoiled, "w") as f:
            f.write(text.replace("timers:", "timerz:"))
        p = subprocess.run([conform, "lint", "--profile", spoiled], capture_output=True, text=True)
        check(p.returncode == 1 and "timerz" in p.stderr, f"{role}: lint --profile rejects a spoiled copy")
        p, res2 = run(role, ["--profile", prof], tmp, "init")
        check(p.returncode == 0, f"{role}: a run with the generated profile passes (exit {p.returncode})")
        check([t["verdict"] for t in res2["tests"]] == [t["verdict"] for t in res["tests"]],
              f"{role}: the generated profile says what the default assumes (same verdicts)")
        # A capability left out: its tests are NA "not claimed".
        narrow = os.path.join(tmp, f"{role}-narrow.yaml")
        with open(narrow, "w") as f:
            f.write(text.replace("\n  - get\n", "\n"))
        p = subprocess.run([conform, "list", "--iut", role], capture_output=True, text=True)
        p, res3 = run(role, ["--profile", narrow, "--group", "get" if role == "agent" else "operations"], tmp,
                      "narrow")
        get_tests = [t for t in res3["tests"] if "get" in t["groups"]]
        check(get_tests and all(t["verdict"] == "NA" and t["reason"].startswith("not claimed") for t in get_tests),
              f"{role}: without capability get, its tests are NA 'not claimed'")

    # A profile of the other role is refused before anything runs.
    p = subprocess.run([conform, "run", "--iut", "agent", "--listen", "127.0.0.1:0", "--iut-cmd", "true",
                        "--profile", os.path.join(tmp, "manager.yaml")], capture_output=True, text=True, timeout=30)
    check(p.returncode == 2 and "the profile is for a manager under test" in p.stderr,
          f"a manager profile in an agent run is refused (exit {p.returncode}: {p.stderr.strip()})")

done()
