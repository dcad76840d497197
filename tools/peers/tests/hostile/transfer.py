# SPDX-License-Identifier: GPL-2.0-or-later
"""Where an agent sends a Function, and what its transfer listener takes (issue 14, item 3).

A fake manager (vsmwire) drives real agents: MOVE, COPY and MOVE_SESSION to
an unspecified, broadcast or multicast address are refused with 130 naming
the address (and nothing is sent); a transfer nobody announced is refused by
the listener; the destination-first flow (announcement to the destination,
then the operation to the source) moves the Function.
"""

import json
import socket

from harness import FakeManager, Harness, add, operation, wait_running
import vsmwire as w


def trap():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", 0))
    s.listen(16)
    s.setblocking(False)
    return s


def trapped(s):
    try:
        s.accept()
        return True
    except BlockingIOError:
        return False


def one_agent_with_function(h, fid=7):
    fm = FakeManager()
    agent = h.start_agent(fm.port, name="agent", debug=False)
    c = fm.admit()
    sessions = [w.opt(w.O_SESSION, w.SI_URI, "sip:alice@example.com"), w.opt(w.O_SESSION, w.SI_URI, "sip:bob@x")]
    h.check(add(c, fid, *sessions).code == w.OK, f"ADD of Function {fid} is accepted")
    wait_running(c, fid)
    return fm, agent, c


def bad_destination(h):
    fm, agent, c = one_agent_with_function(h)
    t = trap()
    p = t.getsockname()[1]
    cases = [
        (w.MOVE, "0.0.0.0", []),
        (w.MOVE, "255.255.255.255", []),
        (w.MOVE, "224.0.0.1", []),
        (w.COPY, "0.0.0.0", []),
        (w.MOVE_SESSION, "255.255.255.255", [w.opt(w.O_SESSION, 4, "1")]),
        (w.MOVE_SESSION, "239.1.2.3", [w.opt(w.O_SESSION, 4, "1")]),
    ]
    names = {w.MOVE: "MOVE", w.COPY: "COPY", w.MOVE_SESSION: "MOVE_SESSION"}
    for op, addr, extra in cases:
        opts = [w.node_id(c.node), w.node_id(c.node + 1), w.function_id(7), *extra, w.ipv4(addr), w.port(p)]
        a = operation(c, op, opts)
        h.check(
            a.code == w.PROHIBITED and addr in a.vendor_text(),
            f"{names[op]} to {addr} gets 130 naming the address (Code {a.code}, {a.vendor_text()!r})",
        )
    h.check(not trapped(t), "nothing connected to the port the operations named")
    g = operation(c, w.GET, [w.node_id(c.node), w.function_id(7), w.opt(w.O_FUNCINFO, w.FI_RUNNING)])
    h.check(g.code == w.OK, f"Function 7 is still on the agent (GET Code {g.code})")
    h.check(agent.alive(), "the agent is still running")


def transfer_line(addr, obj, timeout=5.0):
    """Send one JSON line to a transfer listener; returns the reply object, or None (closed / no answer)."""
    s = socket.create_connection(addr, timeout=timeout)
    try:
        s.sendall((json.dumps(obj) + "\n").encode())
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        return json.loads(buf) if buf.strip() else None
    except (OSError, ValueError):
        return None
    finally:
        s.close()


def unsolicited(h):
    fm, agent, c = one_agent_with_function(h)
    gift = {
        "kind": "function",
        "mode": "move",
        "from_node": 5,
        "function": {"id": 99, "name": "gift", "state": "x" * 1000, "memory": 1, "storage": 0, "sessions": []},
    }
    accepted = 0
    for i in range(20):
        gift["function"]["id"] = 99 + i
        r = transfer_line(agent.transfer, gift)
        accepted += bool(r and r.get("ok"))
    h.check(accepted == 0, f"{accepted} of 20 unsolicited Functions accepted by the transfer listener (0)")
    r = transfer_line(agent.transfer, {"kind": "sessions", "from_node": 5, "sessions": [{"function": 7, "uri": "sip:e@x"}]})
    h.check(not (r and r.get("ok")), f"unsolicited sessions refused ({r})")
    g = operation(c, w.GET, [w.node_id(c.node), w.function_id(99), w.opt(w.O_FUNCINFO, w.FI_RUNNING)])
    h.check(g.code == w.UNKNOWN, f"the agent does not run the unsolicited Function 99 (GET Code {g.code})")
    # a line that never ends: the listener must stop reading (size bound), not buffer it
    s = socket.create_connection(agent.transfer, timeout=5)
    sent = 0
    try:
        block = b"x" * 65536
        for _ in range(1024):  # up to 64 MiB
            s.sendall(block)
            sent += len(block)
    except OSError:
        pass
    s.close()
    h.note(f"{sent >> 20} MiB of one unterminated line sent before the listener stopped it")
    h.check(sent < 64 << 20, "the transfer listener closed a line over its size bound (before 64 MiB)")
    h.memory_bound(agent, 96)


def announcement(h):
    fm = FakeManager()
    h.start_agent(fm.port, name="src", debug=False)
    a = fm.admit()
    h.start_agent(fm.port, name="dst", debug=False)
    b = fm.admit()
    # the destination's transfer endpoint, from its Registration (IPv4 and Port options)
    baddr = socket.inet_ntoa(b.registration.find(w.O_IPV4)[0])
    bport = int.from_bytes(b.registration.find(w.O_PORT)[0], "big")
    sessions = [w.opt(w.O_SESSION, w.SI_URI, "sip:alice@example.com")]
    h.check(add(a, 7, *sessions).code == w.OK, "ADD of Function 7 on the source")
    wait_running(a, 7)
    # 1. the announcement: destination first, the source's address, no Port
    ann = operation(b, w.MOVE, [w.node_id(a.node), w.node_id(b.node), w.function_id(7), w.ipv4("127.0.0.1")])
    h.check(ann.code == w.OK, f"the destination ACKs the announcement with 0 (Code {ann.code}, {ann.vendor_text()!r})")
    # 2. the operation to the source, with the destination's transfer endpoint
    mv = operation(
        a, w.MOVE, [w.node_id(a.node), w.node_id(b.node), w.function_id(7), w.ipv4(baddr), w.port(bport)]
    )
    h.check(mv.code == w.OK, f"the source moves the Function (Code {mv.code}, {mv.vendor_text()!r})")
    g = operation(b, w.GET, [w.node_id(b.node), w.function_id(7), w.opt(w.O_FUNCINFO, w.FI_RUNNING)])
    h.check(g.code == w.OK, f"the destination runs Function 7 (GET Code {g.code})")
    # 3. a second transfer of an unannounced Function to the same destination is refused
    h.check(add(a, 8).code == w.OK, "ADD of Function 8 on the source")
    wait_running(a, 8)
    mv = operation(
        a, w.MOVE, [w.node_id(a.node), w.node_id(b.node), w.function_id(8), w.ipv4(baddr), w.port(bport)]
    )
    h.check(mv.code != w.OK, f"an unannounced MOVE is refused by the destination (Code {mv.code}, {mv.vendor_text()!r})")
    g = operation(a, w.GET, [w.node_id(a.node), w.function_id(8), w.opt(w.O_FUNCINFO, w.FI_RUNNING)])
    h.check(g.code == w.OK, f"Function 8 stays on the source (GET Code {g.code})")


def announcement_by_manager(h):
    """The real manager runs a MOVE between two real agents: the destination hears it first."""
    steps = [
        "wait: {registered_count: 2, timeout: 20}",
        'add: {node: 1, function: 7, memory: 1048576, sessions: [{uri: "sip:alice@example.com", contact: 192.0.2.10}]}',
        "wait: {node: 1, function: 7, status: Running, timeout: 10}",
        "move: {from: 1, to: 2, function: 7, timeout: 10}",
        "get: {node: 2, function: 7}",
    ]
    args = [a for st in steps for a in ("--step", st)]
    mgr = h.start_manager(*args, "--linger", "1")
    src = h.start_agent(mgr.port, name="src")
    h.registered(src)
    dst = h.start_agent(mgr.port, name="dst")
    h.registered(dst)
    try:
        status = mgr.p.wait(40)
    except Exception:  # noqa: BLE001
        status = None
    h.check(status == 0, f"the plan (ADD, MOVE 1 -> 2, GET on 2) succeeded (manager exit status {status})")
    text = dst.text()
    got_move = text.find("<- Operation MOVE")
    got_fn = text.find("received from node")
    h.check(got_move >= 0, "the destination was sent the MOVE (the announcement)")
    h.check(0 <= got_move < got_fn, "the announcement came before the Function arrived")


if __name__ == "__main__":
    Harness(
        __doc__,
        {
            "bad-destination": bad_destination,
            "unsolicited": unsolicited,
            "announcement": announcement,
            "announcement-by-manager": announcement_by_manager,
        },
    ).run()
