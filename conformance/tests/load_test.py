#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""`vsm-conform load` against the reference manager: a few hundred nodes for a
few seconds; every node registers, every request is ACKed, no violation."""
import re
import subprocess
import sys
import threading
import time

conform, manager = sys.argv[1], sys.argv[2]
mgr = subprocess.Popen([manager, "--listen", "127.0.0.1:0", "--keepalive-interval", "1", "--max-message", "4096"],
                       stderr=subprocess.PIPE, text=True)
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
    # Keep reading its log so that it never blocks on a full pipe.
    threading.Thread(target=lambda: [None for _ in mgr.stderr], daemon=True).start()
    p = subprocess.run([conform, "load", "--connect", f"127.0.0.1:{port}", "--nodes", "300", "--duration", "3",
                        "--rate", "2"], capture_output=True, text=True, timeout=60)
    print(p.stdout)
    ok = p.returncode == 0 and "registered 300" in p.stdout and "protocol violations 0" in p.stdout
    sys.exit(0 if ok else 1)
finally:
    mgr.terminate()
    mgr.wait(timeout=10)
