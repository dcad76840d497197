# SPDX-License-Identifier: GPL-2.0-or-later
"""Replies that the wire cannot carry (issue 14, item 1).

A fake manager (vsmwire) asks the real agent for more than one message can
hold. The agent must answer ACK 129 (Insufficient resources) with a
Vendor-specific text saying why, every octet it sends must be framed by a
Length that tells the truth, and the connection must go on (a Keep-Alive
after it is ACKed).
"""

from harness import FakeManager, Harness, add, keepalive_answered, operation
import vsmwire as w


def check_reply(h, c, ack, what):
    h.check(ack.type == w.ACK and ack.sub == w.GET, f"{what}: the answer is the GET's ACK ({ack!r})")
    h.check(len(ack.raw) <= w.MAX_MESSAGE, f"{what}: the ACK is {len(ack.raw)} octets, at most {w.MAX_MESSAGE} [VSM-6.1-LENGTH]")
    h.check(ack.code == w.INSUFFICIENT, f"{what}: ACK Code {ack.code} is 129 (Insufficient resources)")
    text = ack.vendor_text()
    h.check("exceeds" in text and str(w.MAX_MESSAGE) in text, f"{what}: Vendor text says why ({text!r})")
    # nothing else follows the ACK but well-framed messages
    rest = c.drain(quiet=0.5, limit=3)
    msgs, left, problem = w.split_stream(rest)
    h.check(problem is None, f"{what}: the {len(rest)} octets after the ACK are whole messages ({problem})")
    h.check(keepalive_answered(c), f"{what}: the connection still frames (a Keep-Alive is ACKed)")


def get_items(h):
    fm = FakeManager()
    agent = h.start_agent(fm.port, name="agent", debug=False)
    c = fm.admit()
    items = [w.opt(w.O_NODEINFO, w.NI_MEM_TOTAL)] * 10000  # 40,000 octets of request
    try:
        ack = operation(c, w.GET, [w.node_id(c.node), w.function_id(0), *items])
    except w.FramingError as e:
        h.fail(f"GET 10,000 items: the reply's Length does not describe its bytes [VSM-6.1-LENGTH]: {e}")
        return
    check_reply(h, c, ack, "GET 10,000 items")
    h.check(agent.alive(), "the agent is still running")
    h.check("self-finding" not in agent.text(), "the agent logged no self-finding")


def get_sessions(h):
    fm = FakeManager()
    agent = h.start_agent(fm.port, name="agent", debug=False)
    c = fm.admit()
    # 3,001 SIP URIs of 17 characters: the ADD fits in one message (65,528 octets)
    uris = [w.opt(w.O_SESSION, w.SI_URI, f"sip:u{i:05d}@x.org") for i in range(3001)]
    a = add(c, 7, w.opt(w.O_FUNCINFO, w.FI_REQ_MEMORY, "1048576"), *uris)
    if a.code == w.INSUFFICIENT:
        h.note(f"ADD with 3,001 sessions refused with 129 ({a.vendor_text()}): a session bound; nothing to reply")
        h.check(a.vendor_text() != "", "the refusal says why")
        return
    h.check(a.code == w.OK, f"ADD of a Function with 3,001 sessions is accepted (Code {a.code})")
    # GET the SIP URIs twice: 2 x 63,000 octets of reply
    try:
        ack = operation(
            c,
            w.GET,
            [w.node_id(c.node), w.function_id(7), w.opt(w.O_SESSION, w.SI_URI), w.opt(w.O_SESSION, w.SI_URI)],
        )
    except w.FramingError as e:
        h.fail(f"GET sessions: the reply's Length does not describe its bytes [VSM-6.1-LENGTH]: {e}")
        return
    check_reply(h, c, ack, "GET on a Function with 3,001 sessions")
    h.check(agent.alive(), "the agent is still running")


if __name__ == "__main__":
    Harness(__doc__, {"get-items": get_items, "get-sessions": get_sessions}).run()
