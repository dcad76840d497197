# SPDX-License-Identifier: GPL-2.0-or-later
"""The manager's ACK to garbage (issue 14, item 9).

A registered node (vsmwire) sends the real manager messages of an undefined
Type, and of Types without operations, with Sub-Type 124. The ACK copies the
Sub-Type only for Types that define one (Operation 3, Ack 6, draft 6.1), so
here it carries Sub-Type 0; the connection survives.
"""

from harness import Harness
import vsmwire as w


def garbage_type(h):
    mgr = h.start_manager()
    good = h.good_agent(mgr)
    c = w.Conn.connect("127.0.0.1", mgr.port)
    seq = c.send(w.REGISTRATION, 0, w.node_id(0))
    node = c.wait_for(lambda m: m.type == w.ACK and m.seq == seq).u32(w.O_NODE)
    for mtype in (99, 200, w.STATUS_UPDATE):
        seq = c.send(mtype, 124, w.node_id(node))
        a = c.wait_for(lambda m: m.type == w.ACK and m.seq == seq, 5.0, node=node)
        h.check(a.sub == 0, f"ACK to Type {mtype} Sub-Type 124 has Sub-Type {a.sub} (0), Code {a.code} [VSM-6.1-SUBTYPE-ZERO]")
    seq = c.send(w.STATUS_UPDATE, 0, w.node_id(node))
    a = c.wait_for(lambda m: m.type == w.ACK and m.seq == seq, 5.0, node=node)
    h.check(a.code == w.OK, "the connection survives: a Status-Update is ACKed with 0")
    h.keeps_rhythm(good)


if __name__ == "__main__":
    Harness(__doc__, {"garbage-type": garbage_type}).run()
