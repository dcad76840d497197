#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Self-test of vsm-conform against the fault switches of a reference peer.

For each `--fault NAME` of the peer (from `--list-faults`: name and the
requirement ID it breaks), runs the built-in suite's tests that verify that
requirement against the faulty peer and checks that at least one of them
fails and none ends in error. Prints the table fault -> failing tests.
Exit status 0 when every fault of the slice is caught.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--conform", required=True)
    ap.add_argument("--peer", required=True)
    ap.add_argument("--role", choices=["agent", "manager"], required=True)
    ap.add_argument("--profile", required=True)
    ap.add_argument("--shard", default="1/1", help="I/N slice of the fault list")
    ap.add_argument("--only", default="", help="comma-separated fault names")
    ap.add_argument("--jobs", type=int, default=4, help="faults run at the same time (mostly idle waits)")
    ap.add_argument("--ack-timer", default="1", help="the runner's ACK timer for these runs (seconds)")
    ap.add_argument("--transport", choices=["tcp", "sctp"], default="tcp",
                    help="run the sweep over SCTP: the runner and the peer both get --transport sctp")
    args = ap.parse_args()

    out = subprocess.run([args.peer, "--list-faults"], capture_output=True, text=True, check=True).stdout
    faults = []
    for line in out.splitlines():
        parts = line.split(None, 2)
        if len(parts) >= 2 and parts[1].startswith("VSM-"):
            faults.append((parts[0], parts[1]))
    if args.only:
        wanted = set(args.only.split(","))
        faults = [f for f in faults if f[0] in wanted]
    i, n = (int(x) for x in args.shard.split("/"))
    faults = [f for k, f in enumerate(faults) if k % n == i - 1]

    def one(fault, tmp):
        name, req = fault
        js = os.path.join(tmp, name + ".json")
        if args.role == "agent":
            addr = ["--listen", "127.0.0.1:0"]
            cmd = f"{args.peer} --manager {{host}}:{{port}} --fault {name} --transport {args.transport}"
        else:
            addr = ["--connect", "127.0.0.1:0"]
            cmd = f"{args.peer} --listen {{host}}:{{port}} --fault {name} --transport {args.transport}"
        argv = [args.conform, "run", "--iut", args.role, *addr, "--iut-cmd", cmd, "--profile", args.profile,
                "--req", req, "--json", js, "--ack-timer", args.ack_timer, "--transport", args.transport]
        t0 = time.monotonic()
        p = subprocess.run(argv, capture_output=True, text=True, timeout=170)
        dt = time.monotonic() - t0
        failing, errors, other = [], [], []
        try:
            with open(js) as f:
                res = json.load(f)
            for t in res["tests"]:
                if t["verdict"] == "fail":
                    failing.append(t["id"])
                elif t["verdict"] == "error":
                    errors.append(f'{t["id"]}: {t["reason"]}')
                elif t["verdict"] != "pass":
                    other.append(f'{t["id"]} {t["verdict"]}: {t["reason"]}')
        except (OSError, ValueError) as e:
            errors.append(f"no JSON result ({e}); exit {p.returncode}: {p.stderr.strip()[:300]}")
        ok = bool(failing) and not errors and p.returncode == 1
        return (name, req, failing, errors, other, ok, dt, p)

    with tempfile.TemporaryDirectory() as tmp:
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            rows = list(pool.map(lambda f: one(f, tmp), faults))
    bad = sum(1 for r in rows if not r[5])

    print(f"{'fault':<34} {'requirement':<26} {'time':>6}  failing tests")
    for name, req, failing, errors, other, ok, dt, p in rows:
        mark = "" if ok else "   <-- NOT CAUGHT" if not failing else "   <-- ERROR"
        print(f"{name:<34} {req:<26} {dt:5.1f}s  {' '.join(failing) or '-'}{mark}")
        for e in errors + other:
            print(f"{'':<34}   {e}")
        if not ok:
            print(p.stdout[-3000:])
    print(f"\n{len(rows)} fault(s), {len(rows) - bad} caught")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
