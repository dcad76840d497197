# SPDX-License-Identifier: GPL-2.0-or-later
"""What the runner's script tests share: check() prints one line per expectation, done() ends the script."""
import sys

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)
    return cond


def done():
    print(f"\n{len(failures)} failure(s)")
    sys.exit(1 if failures else 0)
