# SPDX-License-Identifier: GPL-2.0-or-later
"""Connections that never register (issue 14, item 4).

Against the real manager (--register-timeout 3): 2,000 connections that say
nothing, send half a header (Length 65535, then silence) or drip one octet a
second are all closed by the manager; new nodes are still served; the good
agent keeps its connection and its Keep-Alive rhythm; memory stays bounded.
With a descriptor limit too small for the attack, accept errors back off
(a handful of log lines, not one per 100 ms) and new nodes get in once the
register timeout frees descriptors. A registered node that sends nothing is
closed by --idle-timeout; the good agent, whose Keep-Alive ACKs are bytes
received, never is.
"""

import resource
import selectors
import socket
import time

from harness import Harness
import vsmwire as w

REGISTER_TIMEOUT = 3
DRIP = w.message(w.REGISTRATION, length=0xFFFF)[:4]  # Length 65535: a body that never comes


def open_many(port, n, first=b""):
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.setblocking(True)
        s.settimeout(5)
        try:
            s.connect(("127.0.0.1", port))
            if first:
                s.sendall(first)
        except OSError:
            pass  # refused or reset at once: counted as closed below
        s.setblocking(False)
        socks.append(s)
    return socks


def closed_by_peer(s):
    try:
        d = s.recv(65536)
        return d == b"" or None  # None: data (an Error message) but not closed yet
    except BlockingIOError:
        return False
    except OSError:
        return True


def wait_closed(socks, timeout, drip=()):
    """Poll until every socket is closed by the peer; drippers send one octet a second. Returns the open count."""
    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_READ)
    open_ = set(socks)
    end = time.monotonic() + timeout
    next_drip = time.monotonic() + 1
    sent = 0
    while open_ and time.monotonic() < end:
        for key, _ in sel.select(0.2):
            if closed_by_peer(key.fileobj):
                sel.unregister(key.fileobj)
                open_.discard(key.fileobj)
        if time.monotonic() >= next_drip:
            next_drip += 1
            sent += 1
            octet = DRIP[sent : sent + 1] or b"\x00"  # the header octet by octet, then the body
            for s in drip:
                if s in open_:
                    try:
                        s.send(octet)
                    except OSError:
                        pass
    return len(open_)


def close_all(socks):
    for s in socks:
        s.close()


def idle_and_half_header(h):
    mgr = h.start_manager("--register-timeout", str(REGISTER_TIMEOUT), "--max-unregistered", "256")
    good = h.good_agent(mgr)
    base = mgr.rss() / 1024
    idle = open_many(mgr.port, 1000)
    half = open_many(mgr.port, 900, DRIP)
    drip = open_many(mgr.port, 100, DRIP[:1])
    h.note(f"2,000 connections open; manager RSS {mgr.rss() / 1024:.1f} MB (before: {base:.1f} MB)")
    newcomer = h.start_agent(mgr.port, name="newcomer", debug=False)
    left = wait_closed(idle + half + drip, REGISTER_TIMEOUT + 20, drip)
    h.check(left == 0, f"the manager closed all 2,000 unregistered connections ({left} still open)")
    h.check(bool(newcomer.wait_log(r"registered as node", 20)), "a new node registers during and after the attack")
    close_all(idle + half + drip)
    time.sleep(2)
    h.keeps_rhythm(good)
    h.memory_bound(mgr, 128)


def accept_backoff(h):
    def low_nofile():
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    mgr = h.start_manager("--register-timeout", "2", preexec=low_nofile)
    good = h.good_agent(mgr)
    socks = open_many(mgr.port, 100)  # more than the manager has descriptors for
    newcomer = h.start_agent(mgr.port, name="newcomer", debug=False)
    t0 = time.monotonic()
    left = wait_closed(socks, 30)
    h.note(f"the idle connections were closed within {time.monotonic() - t0:.0f} s ({left} left)")
    h.check(left == 0, f"every idle connection was closed by the register timeout ({left} left)")
    h.check(bool(newcomer.wait_log(r"registered as node", 15)), "a new node registers once descriptors are free")
    close_all(socks)
    lines = [ln for ln in mgr.text().splitlines() if "accept" in ln]
    h.check(
        len(lines) <= 24,
        f"{len(lines)} accept-error log lines (back-off: at most one per change, 100 ms doubling to 5 s)",
    )
    h.keeps_rhythm(good)


def idle_timeout(h):
    # Keep-Alive death out of the way (100 misses): only the idle timeout can close the silent node
    mgr = h.start_manager("--idle-timeout", "3", "--ack-timeout", "2", "--max-missed", "100")
    good = h.good_agent(mgr)
    c = w.Conn.connect("127.0.0.1", mgr.port)
    seq = c.send(w.REGISTRATION, 0, w.node_id(0))
    h.check(c.wait_for(lambda m: m.type == w.ACK and m.seq == seq).code == w.OK, "the silent node registers")
    closed = False
    end = time.monotonic() + 15
    while time.monotonic() < end and not closed:
        try:
            c.recv(0.5)  # read (and never answer) its Keep-Alives
        except TimeoutError:
            pass
        except (EOFError, OSError):
            closed = True
    h.check(closed, "the manager closed the registered node that sent nothing for --idle-timeout 3 s")
    c.close()
    time.sleep(max(0.0, good.mark + 8 - time.monotonic()))  # over twice the idle timeout
    h.keeps_rhythm(good)  # its Keep-Alive ACKs are bytes received: never idle


if __name__ == "__main__":
    Harness(
        __doc__,
        {"idle-and-half-header": idle_and_half_header, "accept-backoff": accept_backoff, "idle-timeout": idle_timeout},
    ).run()
