#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""`vsm-conform load --sources 3` spreads its connections over 127.0.0.1,
127.0.0.2 and 127.0.0.3 (bound before connecting: each address has its own
ephemeral ports, the way to 100,000 nodes on one manager, issue 14): 50 nodes
register with the reference manager, and the connections the kernel shows
(ss) come from the three addresses, about a third each."""
import collections
import re
import shutil
import subprocess
import sys
import threading
import time

conform, manager = sys.argv[1], sys.argv[2]
mgr = subprocess.Popen([manager, "--listen", "127.0.0.1:0", "--keepalive-interval", "1"],
                       stderr=subprocess.PIPE, text=True)
log = []
try:
    port = None
    deadline = time.monotonic() + 10
    while port is None and time.monotonic() < deadline:
        line = mgr.stderr.readline()
        m = re.search(r"listening on .*:(\d+)", line)
        if m:
            port = m.group(1)
    if port is None:
        sys.exit("the manager did not say where it listens")
    threading.Thread(target=lambda: [log.append(l) for l in mgr.stderr], daemon=True).start()
    load = subprocess.Popen([conform, "load", "--connect", f"127.0.0.1:{port}", "--nodes", "50", "--duration", "4",
                             "--rate", "1", "--sources", "3"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    seen = collections.Counter()
    # While the load runs: the local address of every connection to the manager's port.
    while load.poll() is None:
        if shutil.which("ss"):
            out = subprocess.run(["ss", "-Htn", "state", "established", f"( dport = :{port} )"],
                                 capture_output=True, text=True).stdout
            now = collections.Counter(l.split()[-2].rsplit(":", 1)[0] for l in out.splitlines() if l.strip())
            if sum(now.values()) > sum(seen.values()):
                seen = now
        time.sleep(0.3)
    out, err = load.communicate()
    print(out)
    if not shutil.which("ss"):  # the manager's log names each node's address instead
        for line in log:
            m = re.search(r"registered from ([\d.]+):\d+", line)
            if m:
                seen[m.group(1)] += 1
    print("connections by source address:", dict(seen))
    problems = []
    if load.returncode != 0 or "registered 50" not in out:
        problems.append(f"the load did not register its 50 nodes (exit {load.returncode}): {err.strip()[-300:]}")
    if set(seen) != {"127.0.0.1", "127.0.0.2", "127.0.0.3"}:
        problems.append(f"connections came from {sorted(seen)}, not 127.0.0.1 to 127.0.0.3")
    elif min(seen.values()) < 10:
        problems.append(f"connections are not spread: {dict(seen)}")
    if "source addresses 3" not in out:
        problems.append("the load did not print its source addresses")
    for p in problems:
        print("FAIL:", p)
    sys.exit(1 if problems else 0)
finally:
    mgr.terminate()
    mgr.wait(timeout=10)
