# SPDX-License-Identifier: GPL-2.0-or-later
"""Node identity that cannot be stolen by asking (issue 14, item 2).

Against the real manager: a Registration that claims the Node ID of a live
node is refused with 130 and the live node keeps its connection; a node that
really moved (old connection closed, or open but silent to the manager's
probe) gets its ID back; --node-allow ties a Node ID to an address.
"""

import socket
import threading
import time

from harness import Harness
import vsmwire as w


def claim(port, node, transfer_port, timeout=15.0, source=None):
    """Connect (from `source`), register with `node` (and a transfer endpoint); returns (conn, ACK)."""
    if source:
        s = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(source, 0))
        c = w.Conn(s)
    else:
        c = w.Conn.connect("127.0.0.1", port)
    seq = c.send(w.REGISTRATION, 0, [w.node_id(node), w.ipv4("127.0.0.1"), w.port(transfer_port)])
    return c, c.wait_for(lambda m: m.type == w.ACK and m.seq == seq, timeout, node=node)


def decoy_listener():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    return s


def live_claimant(h):
    mgr = h.start_manager("--ack-timeout", "2")
    good = h.good_agent(mgr)
    decoy = decoy_listener()
    refused = 0
    for i in range(16):
        c, ack = claim(mgr.port, good.node, decoy.getsockname()[1])
        text = ack.vendor_text()
        ok = ack.code == w.PROHIBITED and f"node {good.node} is registered and alive at" in text
        refused += ok
        if not ok and i == 0:
            h.note(f"claimant {i}: Code {ack.code}, Node ID {ack.u32(w.O_NODE)}, text {text!r}")
        c.close()
    h.check(refused == 16, f"{refused} of 16 claimants of live node {good.node} got 130 with the reason [VSM-4-NODE-IDENTITY]")
    # two at once: the second arrives while the probe for the first runs
    acks = [None, None]

    def one(k):
        try:
            c, acks[k] = claim(mgr.port, good.node, decoy.getsockname()[1])
            c.close()
        except Exception as e:  # noqa: BLE001
            acks[k] = e

    ts = [threading.Thread(target=one, args=(k,)) for k in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(20)
    h.check(
        all(isinstance(a, w.Message) and a.code == w.PROHIBITED for a in acks),
        f"two simultaneous claimants both got 130 ({acks})",
    )
    time.sleep(2)
    h.keeps_rhythm(good)
    decoy.setblocking(False)
    try:
        decoy.accept()
        h.fail("something connected to the claimant's transfer endpoint")
    except BlockingIOError:
        h.check(True, "nothing connected to the claimant's transfer endpoint")


def moved_closed(h):
    mgr = h.start_manager("--ack-timeout", "2")
    good = h.good_agent(mgr)
    old, ack = claim(mgr.port, 0, 1)
    nid = ack.u32(w.O_NODE)
    h.check(ack.code == w.OK and nid, f"the node registers and gets Node ID {nid}")
    old.close()  # the node moves: its old connection is gone
    mgr.wait_log(rf"node {nid} (lost|.*closed)", 5)
    new, ack2 = claim(mgr.port, nid, 1)
    h.check(
        ack2.code == w.OK and ack2.u32(w.O_NODE) == nid,
        f"from its new connection it takes Node ID {nid} back (Code {ack2.code}, {ack2.vendor_text()!r})",
    )
    new.close()
    h.keeps_rhythm(good)


def moved_silent(h):
    # Long Keep-Alive interval: any Keep-Alive the old connection sees after the claim is the probe.
    mgr = h.start_manager("--ack-timeout", "2", keepalive=30)
    old, ack = claim(mgr.port, 0, 1)
    nid = ack.u32(w.O_NODE)
    h.check(ack.code == w.OK and nid, f"the node registers and gets Node ID {nid}")
    try:  # whatever the manager sends right after the Registration ACK is answered
        old.wait_for(lambda m: False, 1.0, node=nid)
    except TimeoutError:
        pass
    # the node moves; its old connection stays open but nobody answers there any more
    got = {}

    def newcomer():
        try:
            c, got["ack"] = claim(mgr.port, nid, 1)
            got["t"] = time.monotonic()
            c.close()
        except Exception as e:  # noqa: BLE001
            got["ack"] = e

    t = threading.Thread(target=newcomer)
    t.start()
    probe_at = None
    try:
        m = old.wait_for(lambda m: m.type == w.KEEPALIVE, 10.0, auto_ack_keepalive=False)
        probe_at = time.monotonic()
        h.note(f"the old connection got a Keep-Alive probe (seq {m.seq}); not answering it")
    except (TimeoutError, EOFError) as e:
        h.note(f"no Keep-Alive on the old connection: {e}")
    t.join(20)
    a = got.get("ack")
    h.check(probe_at is not None, "the manager probed the old connection with a Keep-Alive")
    h.check(
        isinstance(a, w.Message) and a.code == w.OK and a.u32(w.O_NODE) == nid,
        f"the newcomer takes Node ID {nid} once the probe went unanswered ({a!r})",
    )
    if probe_at is not None and "t" in got:
        h.check(got["t"] >= probe_at, "the newcomer's ACK came after the probe")
    old.close()


def node_allow(h):
    # Node ID 5 may register only from 127.0.0.2 (the whole 127/8 is loopback on Linux)
    mgr = h.start_manager("--node-allow", "5=127.0.0.2")
    good = h.good_agent(mgr)
    c, ack = claim(mgr.port, 5, 1, source="127.0.0.1")
    h.check(ack.code == w.PROHIBITED, f"Node ID 5 from 127.0.0.1 gets 130 (Code {ack.code}, {ack.vendor_text()!r})")
    c.close()
    c, ack = claim(mgr.port, 5, 1, source="127.0.0.2")
    h.check(ack.code == w.OK and ack.u32(w.O_NODE) == 5, f"Node ID 5 from 127.0.0.2 registers (Code {ack.code})")
    c.close()
    h.keeps_rhythm(good)


if __name__ == "__main__":
    Harness(
        __doc__,
        {
            "live-claimant": live_claimant,
            "moved-closed": moved_closed,
            "moved-silent": moved_silent,
            "node-allow": node_allow,
        },
    ).run()
