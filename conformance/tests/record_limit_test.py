#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The runner bounds what it keeps of one test (issue 14, item 7; conformance/README.md "Bounds").

usage: record_limit_test.py VSM-CONFORM

hostile_peer.py in mode bulk sends 50 MB of garbage in messages of 65,535
octets and 20,000 small messages in one test, then its Registration; the test (a suite of its own,
written here) waits up to 90 s for that Registration, so the runner reads
all 50 MB however slowly it takes them. With the default
bounds (--record-limit 4 MiB, --record-messages 10000) the runner's peak
RSS (its own and its children's, from wait4) stays under RSS_BOUND, every
output stays under its size bound, and each says what was not recorded
("... 48 MB more not recorded (N messages, M bytes)"). Then once more with
--record-limit 1000000 --record-messages 50: the JSON has at most 50
messages.
"""
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

from checks import check, done

conform, here = sys.argv[1], os.path.dirname(os.path.abspath(__file__))
peer = os.path.join(here, "hostile_peer.py")
RSS_BOUND = 100 * 1024 * 1024  # main kept all 50 MB twice over (and its decode text): > 250 MB
SUITE = """suite: record-limit
role: agent
groups: [agent]
defaults:
  guard: 120
tests:
  - id: RL-BULK-01
    title: 50 MB of garbage, then the Registration
    requirements: [VSM-5-REGISTER-FIRST]
    body:
      - accept: {timeout: 30}
      - expect: {type: registration, as: registration, timeout: 90}
      - ack: {of: registration, code: successful}
"""
SIZE_BOUND = {"json": 12 << 20, "report": 4 << 20, "junit": 1 << 20, "tap": 1 << 20, "pcap": 8 << 20}


def run(tmp, tag, extra):
    out = {k: os.path.join(tmp, f"{tag}.{k}") for k in SIZE_BOUND}
    suite = os.path.join(tmp, "record-limit.yaml")
    with open(suite, "w") as f:
        f.write(SUITE)
    argv = [conform, "run", "--iut", "agent", "--listen", "127.0.0.1:0", "--suite", suite, "--ack-timer", "1",
            "--iut-cmd", f"{sys.executable} {peer} agent bulk {{host}} {{port}}",
            "--json", out["json"], "--report", out["report"], "--junit", out["junit"], "--tap", out["tap"],
            "--pcap", out["pcap"], *extra]
    with open(os.path.join(tmp, f"{tag}.console"), "w+") as console:
        p = subprocess.Popen(argv, stdout=console, stderr=subprocess.STDOUT)
        timer = threading.Timer(200, p.kill)
        timer.start()
        _, status, usage = os.wait4(p.pid, 0)
        timer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)
        console.seek(0)
        text = console.read()
    return p.returncode, usage.ru_maxrss * 1024, text, out


with tempfile.TemporaryDirectory() as tmp:
    t0 = time.monotonic()
    code, rss, console, out = run(tmp, "default", [])
    print(f"default bounds: exit {code}, peak RSS {rss / 2**20:.1f} MiB, {time.monotonic() - t0:.1f} s")
    check(code in (1, 3), f"the runner ends with a verdict (exit {code}, not a crash)")
    check(rss < RSS_BOUND, f"peak RSS {rss / 2**20:.1f} MiB < {RSS_BOUND >> 20} MiB with 50 MB received in one test")
    for kind, bound in SIZE_BOUND.items():
        size = os.path.getsize(out[kind]) if os.path.exists(out[kind]) else -1
        check(0 < size < bound, f"--{kind} output {size} bytes (0 < size < {bound})")
    check("more not recorded" in console, "the console says what was not recorded")
    try:
        res = json.load(open(out["json"]))
        t = res["tests"][0]
        nr = t.get("not_recorded", {})
        print("  not_recorded:", nr.get("text"))
        check(nr.get("bytes", 0) > 40_000_000, f"JSON not_recorded.bytes {nr.get('bytes')} > 40 MB")
        check(nr.get("messages", 0) > 500, f"JSON not_recorded.messages {nr.get('messages')}")
        check("MB more not recorded" in nr.get("text", ""), "JSON not_recorded.text says how much")
        data = [m for m in t["messages"] if not m["summary"].startswith("connection ")]  # closes: past the bound
        check(len(data) <= 10000, f"{len(data)} messages recorded <= 10000")
        longest = max(len(m["summary"]) for m in t["messages"])
        check(longest <= 400 + 3, f"the longest decode text recorded is {longest} octets (cut at 400)")
    except (OSError, ValueError, KeyError, IndexError) as e:
        check(False, f"JSON readable: {e}")
    for kind, needle in [("report", b"more not recorded"), ("junit", b"not-recorded"), ("tap", b"not_recorded:"),
                         ("pcap", b"more not recorded")]:
        try:
            check(needle in open(out[kind], "rb").read(), f"--{kind} says what was not recorded")
        except OSError as e:
            check(False, f"--{kind}: {e}")

    code, rss, console, out = run(tmp, "small", ["--record-limit", "1000000", "--record-messages", "50"])
    print(f"--record-limit 1000000 --record-messages 50: exit {code}, peak RSS {rss / 2**20:.1f} MiB")
    try:
        t = json.load(open(out["json"]))["tests"][0]
        data = [m for m in t["messages"] if not m["summary"].startswith("connection ")]
        check(len(data) <= 50, f"{len(data)} messages recorded <= 50")
        check(t["not_recorded"]["messages"] > 20000, f"not_recorded.messages {t['not_recorded']['messages']}")
    except (OSError, ValueError, KeyError, IndexError) as e:
        check(False, f"JSON readable: {e}")
done()
