# SPDX-License-Identifier: GPL-2.0-or-later
"""Nodes that register and vanish (issue 14, item 4).

Against the real manager (--node-grace 2, --max-nodes 1500): 5,000
Registrations with Node ID 0, in five waves of 1,000, each connection closed
without a De-registration as soon as it is ACKed. Nodes that are gone are
removed after the grace period, so every wave is admitted although the five
together are over --max-nodes; the manager's memory stays bounded; the good
agent keeps its connection and rhythm. Without the removal the third wave
would meet 129 (or the memory bound).
"""

import time

from harness import Harness
import vsmwire as w

GRACE = 2
WAVE = 1000
WAVES = 5
BATCH = 100


# what a real node reports in its Registration (6.4.6): every Node information item
NODE_INFO = [
    w.opt(w.O_NODEINFO, sub, value)
    for sub, value in ((1, "2.4"), (2, "1"), (3, "0.5"), (10, "8589934592"), (11, "4294967296"), (20, "1099511627776"),
                       (21, "549755813888"), (30, "10000000000"), (31, "1000"), (32, "1000"), (40, b"\xe9\x00\x00\x00\x00\x00\x00\x00"))
]


def register_batch(port, n):
    """n connections at once, each registering with Node ID 0; returns the ACK codes (None: no ACK)."""
    conns = []
    for _ in range(n):
        c = w.Conn.connect("127.0.0.1", port, timeout=10)
        c.send(w.REGISTRATION, 0, [w.node_id(0), *NODE_INFO])
        conns.append(c)
    codes = []
    for c in conns:
        try:
            m = c.wait_for(lambda m: m.type == w.ACK, 10.0)
            codes.append((m.code, m.u32(w.O_NODE)))
        except (TimeoutError, EOFError, OSError):
            codes.append((None, None))
        c.close()  # vanish: no De-registration
    return codes


def node_id_zero(h):
    mgr = h.start_manager("--node-grace", str(GRACE), "--max-nodes", "1500")
    good = h.good_agent(mgr)
    base = mgr.rss() / 1024
    ids = set()
    for wave in range(WAVES):
        codes = []
        for _ in range(WAVE // BATCH):
            codes += register_batch(mgr.port, BATCH)
        admitted = sum(1 for c, _ in codes if c == w.OK)
        ids.update(n for c, n in codes if c == w.OK)
        h.check(admitted == WAVE, f"wave {wave + 1}: {admitted} of {WAVE} Registrations admitted")
        if admitted != WAVE:
            others = sorted({c for c, _ in codes if c != w.OK}, key=str)
            h.note(f"other outcomes: {others}")
            break
        h.note(f"manager RSS {mgr.rss() / 1024:.1f} MB after wave {wave + 1}")
        time.sleep(GRACE + 3)  # grace period, the 1 s sweep, and slack for a loaded machine
    h.check(0 not in ids, "every admitted node got a non-zero Node ID")
    h.check(good.node not in ids, f"no newcomer was given the good agent's Node ID {good.node}")
    grow = mgr.rss() / 1024 - base
    h.check(grow <= 48, f"manager RSS grew {grow:.1f} MB over 5,000 vanished nodes (at most 48 MB)")
    h.keeps_rhythm(good)


if __name__ == "__main__":
    Harness(__doc__, {"node-id-zero": node_id_zero}).run()
