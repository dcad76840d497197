# SPDX-License-Identifier: GPL-2.0-or-later
"""Unsolicited ACK floods and the logs (issue 14, item 6).

20,000 ACKs that answer nothing (16 octets each), sent to the real manager by
a registered node, and to the real agent by a fake manager. Each log grows by
a bounded amount (per template at most 10 lines per 10 s, then one
"N more like this: ..." summary), the peer keeps serving, and the good agent
keeps its connection and rhythm.
"""

import time

from harness import FakeManager, Harness, keepalive_answered
import vsmwire as w

FLOOD = 20000
LOG_BOUND = 64 * 1024
RATE_INTERVAL = 10


def flood(c, node, n=FLOOD, base=0x800000):
    burst = b"".join(w.message(w.ACK, 0, base + i, 0, w.node_id(node)) for i in range(n))
    c.send_raw(burst)
    return len(burst)


def ack_to_manager(h):
    mgr = h.start_manager("--ack-timeout", "2")
    good = h.good_agent(mgr)
    c = w.Conn.connect("127.0.0.1", mgr.port)
    seq = c.send(w.REGISTRATION, 0, w.node_id(0))
    reg = c.wait_for(lambda m: m.type == w.ACK and m.seq == seq)
    node = reg.u32(w.O_NODE)
    before = mgr.log_size()
    sent = flood(c, node)
    serve(c, node, RATE_INTERVAL + 2)  # a well-behaved node otherwise: it answers the Keep-Alives
    flood(c, node, 20, base=0x900000)  # the next interval: its summary of the first
    serve(c, node, 3)
    grown = mgr.log_size() - before
    h.note(f"{sent} octets of unsolicited ACKs -> {grown} octets of manager log")
    h.check(grown <= LOG_BOUND, f"the manager's log grew {grown} octets (at most {LOG_BOUND})")
    h.check("more like this" in mgr.text()[before:], "the manager logged a 'more like this' summary")
    try:
        ok = keepalive_answered_by_manager(c, node)
    except Exception as e:  # noqa: BLE001
        ok = False
        h.note(f"after the flood: {e}")
    h.check(ok, "the flooding node's connection still works (its Status-Update is ACKed)")
    h.keeps_rhythm(good)


def serve(c, node, seconds):
    """Answer whatever the manager sends for `seconds`."""
    try:
        c.wait_for(lambda m: False, seconds, node=node)
    except TimeoutError:
        pass


def keepalive_answered_by_manager(c, node):
    seq = c.send(w.STATUS_UPDATE, 0, w.node_id(node))
    m = c.wait_for(lambda m: m.type == w.ACK and m.seq == seq, 5.0, node=node)
    return m.code == w.OK


def ack_to_agent(h):
    fm = FakeManager()
    agent = h.start_agent(fm.port, name="agent", debug=False)
    c = fm.admit()
    before = agent.log_size()
    sent = flood(c, c.node)
    h.check(keepalive_answered(c, 20), "the agent still answers a Keep-Alive after the flood")
    time.sleep(RATE_INTERVAL + 1)
    flood(c, c.node, 20, base=0x900000)
    h.check(keepalive_answered(c, 10), "and after the second burst")
    agent.wait_log(r"more like this", 5, start=before)
    grown = agent.log_size() - before
    h.note(f"{sent} octets of unsolicited ACKs -> {grown} octets of agent log")
    h.check(grown <= LOG_BOUND, f"the agent's log grew {grown} octets (at most {LOG_BOUND})")
    h.check("more like this" in agent.text()[before:], "the agent logged a 'more like this' summary")


if __name__ == "__main__":
    Harness(__doc__, {"ack-to-manager": ack_to_manager, "ack-to-agent": ack_to_agent}).run()
