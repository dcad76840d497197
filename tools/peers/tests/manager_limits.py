#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""vsm-manager against claimants, idle and flooding clients (issue 14).

usage: manager_limits.py VSM_MANAGER CASE

Runs one real vsm-manager on loopback (port chosen by the kernel) and talks
to it over raw sockets. The messages are written byte by byte on purpose
(header layout of codec/PROFILE.md: Type, Sub-Type, Length = total - 4,
Code, 24-bit Sequence; options Type, Sub-Type, 16-bit value length, value):
this client must not share the codec with the manager it tests. Every wait
has a generous bound; nothing here measures speed.
"""
import json
import os
import re
import resource
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

REGISTRATION, KEEPALIVE, STATUS, DEREGISTRATION, OPERATION, ACK = 1, 2, 4, 5, 3, 6
OPT_NODE_ID, OPT_NODE_INFO, OPT_VENDOR = 4, 6, 9
CODE_OK, CODE_FAILED, CODE_RESOURCES, CODE_PROHIBITED = 0, 128, 129, 130
WAIT = 15.0  # bound of every wait for something the manager should do


def option(otype, sub, value):
    return struct.pack("!BBH", otype, sub, len(value)) + value


def message(mtype, seq, node_id=None, subtype=0, code=0, extra=b"", length=None):
    opts = (option(OPT_NODE_ID, 0, struct.pack("!I", node_id)) if node_id is not None else b"") + extra
    total = 8 + len(opts)
    field = total - 4 if length is None else length
    return struct.pack("!BBHB", mtype, subtype, field, code) + seq.to_bytes(3, "big") + opts


def parse(buf):
    mtype, sub, length, code = struct.unpack("!BBHB", buf[:5])
    seq = int.from_bytes(buf[5:8], "big")
    opts, i = [], 8
    while i + 4 <= len(buf):
        t, s, n = struct.unpack("!BBH", buf[i:i + 4])
        opts.append((t, s, buf[i + 4:i + 4 + n]))
        i += 4 + n
    return {"type": mtype, "subtype": sub, "code": code, "seq": seq, "opts": opts}


def node_id_of(m):
    for t, _, v in m["opts"]:
        if t == OPT_NODE_ID and len(v) == 4:
            return struct.unpack("!I", v)[0]
    return None


def vendor_of(m):
    return "".join(v.decode(errors="replace") for t, _, v in m["opts"] if t == OPT_VENDOR)


class Manager:
    def __init__(self, *args, nofile=None):
        pre = None
        if nofile is not None:
            def pre():
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
        self.p = subprocess.Popen([MANAGER, "--listen", "127.0.0.1:0", *args], stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, preexec_fn=pre)
        self.lines, self.port = [], None
        self.cv = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        if not self.wait_line(r"listening on 127\.0\.0\.1:(\d+)"):
            self.stop()
            fail("the manager did not start:\n" + self.log())
        self.port = int(re.search(r"listening on 127\.0\.0\.1:(\d+)", self.log()).group(1))

    def _read(self):
        for line in self.p.stderr:
            with self.cv:
                self.lines.append(line.rstrip("\n"))
                self.cv.notify_all()
        with self.cv:
            self.cv.notify_all()

    def log(self):
        with self.cv:
            return "\n".join(self.lines)

    def count(self, pattern):
        with self.cv:
            return sum(1 for l in self.lines if re.search(pattern, l))

    def wait_line(self, pattern, timeout=WAIT):
        end = time.monotonic() + timeout
        with self.cv:
            while True:
                if any(re.search(pattern, l) for l in self.lines):
                    return True
                left = end - time.monotonic()
                if left <= 0 or (self.p.poll() is not None and not self.p.stderr.readable()):
                    return False
                self.cv.wait(min(left, 0.2))

    def stop(self):
        if os.environ.get("VERBOSE"):
            print(self.log())
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


class Node:
    """A raw client. answer=True: ACKs every Keep-Alive while its reader runs, `delay` seconds later."""

    def __init__(self, port, source="127.0.0.1", answer=True, delay=0.0):
        self.delay = delay
        self.s = socket.create_connection(("127.0.0.1", port), timeout=WAIT, source_address=(source, 0))
        self.answer = answer
        self.got, self.closed = [], False
        self.cv = threading.Condition()
        self.seq = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def send(self, data):
        with self.lock:
            self.s.sendall(data)

    def _send_quietly(self, data):
        try:
            self.send(data)
        except OSError:
            pass

    def next_seq(self):
        self.seq += 1
        return self.seq

    def _recv_exact(self, n):
        b = b""
        while len(b) < n:
            try:
                chunk = self.s.recv(n - len(b))
            except socket.timeout:
                continue
            except OSError:
                return None
            if not chunk:
                return None
            b += chunk
        return b

    def _read(self):
        self.s.settimeout(0.5)
        while True:
            head = self._recv_exact(4)
            if head is None:
                break
            length = struct.unpack("!H", head[2:4])[0]
            rest = self._recv_exact(length)
            if rest is None:
                break
            m = parse(head + rest)
            with self.cv:
                self.got.append(m)
                self.cv.notify_all()
            if m["type"] == KEEPALIVE and self.answer:
                ack = message(ACK, m["seq"], node_id_of(m))
                if self.delay:
                    threading.Timer(self.delay, self._send_quietly, [ack]).start()
                    continue
                try:
                    self.send(ack)
                except OSError:
                    break
        with self.cv:
            self.closed = True
            self.cv.notify_all()

    def wait(self, pred, timeout=WAIT):
        end = time.monotonic() + timeout
        with self.cv:
            while True:
                for m in self.got:
                    if pred(m):
                        return m
                left = end - time.monotonic()
                if left <= 0 or self.closed:
                    return None
                self.cv.wait(min(left, 0.2))

    def wait_closed(self, timeout=WAIT):
        end = time.monotonic() + timeout
        with self.cv:
            while not self.closed and time.monotonic() < end:
                self.cv.wait(0.2)
            return self.closed

    def register(self, node_id=0):
        seq = self.next_seq()
        self.send(message(REGISTRATION, seq, node_id))
        return self.wait(lambda m: m["type"] == ACK and m["seq"] == seq)

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def fail(why):
    print("FAIL:", why)
    sys.exit(1)


def expect(cond, why, mgr=None):
    if not cond:
        if mgr is not None:
            print(mgr.log()[-6000:])
        fail(why)


def live_node_keeps_its_id():
    mgr = Manager("--keepalive-interval", "0.5", "--ack-timeout", "3")
    try:
        a = Node(mgr.port, delay=0.5)  # alive, and slow enough that a second claim comes while the first is checked
        ack = a.register(7)
        expect(ack and ack["code"] == CODE_OK, "node 7 is not registered", mgr)
        a_addr = "127.0.0.1:%d" % a.s.getsockname()[1]
        b = Node(mgr.port)
        ack = b.register(7)
        expect(ack is not None, "the claimant got no ACK", mgr)
        expect(ack["code"] == CODE_PROHIBITED, "the claimant got Code %d, not 130" % ack["code"], mgr)
        text = vendor_of(ack)
        expect(text == "node 7 is registered and alive at %s" % a_addr, "Vendor text %r" % text, mgr)
        # The live node keeps its connection and its Keep-Alive rhythm.
        seen = sum(1 for m in a.got if m["type"] == KEEPALIVE)
        expect(a.wait(lambda m: m["type"] == KEEPALIVE and a.got.index(m) >= seen) is not None
               and not a.closed, "the live node lost its connection", mgr)
        expect(mgr.count("dropping its old connection") == 0, "the manager dropped the live node", mgr)
        expect(mgr.count(r"VSM-4-NODE-IDENTITY") >= 1, "the refusal names no requirement", mgr)
        # A second claim while the first is checked: refused at once, without a second question.
        b2, c = Node(mgr.port), Node(mgr.port)
        seq = b2.next_seq()
        b2.send(message(REGISTRATION, seq, 7))
        expect(mgr.wait_line(r"claimed by a Registration from 127\.0\.0\.1:%d" % b2.s.getsockname()[1]),
               "the second claim was not checked", mgr)
        ack = c.register(7)
        expect(ack and ack["code"] == CODE_PROHIBITED, "a claimant during the check was not refused", mgr)
        expect(mgr.count("asking its connection") == 2, "a claim during the check asked the node again", mgr)
        ack = b2.wait(lambda m: m["type"] == ACK and m["seq"] == seq)
        expect(ack and ack["code"] == CODE_PROHIBITED, "the claimant got %r" % ack, mgr)
        expect(not a.closed, "the live node lost its connection", mgr)
    finally:
        mgr.stop()


def moved_node_takes_its_id():
    # Keep-Alives far apart: the only one the old connection hears is the manager's question.
    mgr = Manager("--keepalive-interval", "600", "--ack-timeout", "1")
    try:
        a = Node(mgr.port, answer=False)  # the node moved: nothing answers on its old connection
        ack = a.register(7)
        expect(ack and ack["code"] == CODE_OK, "node 7 is not registered", mgr)
        b = Node(mgr.port)
        ack = b.register(7)
        expect(ack and ack["code"] == CODE_OK and node_id_of(ack) == 7,
               "the node that moved did not get its ID back: %r" % ack, mgr)
        expect(any(m["type"] == KEEPALIVE and node_id_of(m) == 7 for m in a.got),
               "the old connection was not asked with a Keep-Alive first", mgr)
        expect(a.wait_closed(), "the old connection was not dropped", mgr)
        # Closed old connection: the ID follows at once.
        c = Node(mgr.port)
        expect(c.register(8)["code"] == CODE_OK, "node 8 is not registered", mgr)
        c.close()
        mgr.wait_line(r"node 8 lost")
        d = Node(mgr.port)
        ack = d.register(8)
        expect(ack and ack["code"] == CODE_OK and node_id_of(ack) == 8, "node 8 could not register again", mgr)
    finally:
        mgr.stop()


def node_allow():
    mgr = Manager("--node-allow", "7=127.0.0.2", "--node-allow", "9=127.0.0.0/8")
    try:
        a = Node(mgr.port)
        ack = a.register(7)
        expect(ack and ack["code"] == CODE_PROHIBITED, "node 7 registered from 127.0.0.1: %r" % ack, mgr)
        b = Node(mgr.port, source="127.0.0.2")
        ack = b.register(7)
        expect(ack and ack["code"] == CODE_OK, "node 7 refused from 127.0.0.2: %r" % ack, mgr)
        c = Node(mgr.port)
        expect(c.register(9)["code"] == CODE_OK, "node 9 refused from 127.0.0.1 (in 127.0.0.0/8)", mgr)
        d = Node(mgr.port)
        ack = d.register(0)
        expect(ack and ack["code"] == CODE_OK and node_id_of(ack) not in (7, 9), "assigned a reserved ID", mgr)
    finally:
        mgr.stop()


def register_timeout():
    mgr = Manager("--register-timeout", "1")
    try:
        a = Node(mgr.port)
        b = Node(mgr.port)
        expect(b.register(0)["code"] == CODE_OK, "registration failed", mgr)
        expect(a.wait_closed(), "a connection that never registered is still open", mgr)
        expect(not b.closed, "the registered node was closed", mgr)
    finally:
        mgr.stop()


def idle_timeout():
    mgr = Manager("--register-timeout", "0", "--idle-timeout", "2")
    try:
        a = Node(mgr.port)
        a.send(struct.pack("!BBHB", REGISTRATION, 0, 65535, 0) + b"\0\0\1")  # a header announcing 65535, then silence
        b = Node(mgr.port)
        expect(b.register(0)["code"] == CODE_OK, "registration failed", mgr)
        expect(a.wait_closed(), "a connection silent for longer than --idle-timeout is still open", mgr)
        expect(not b.closed, "the registered node was closed", mgr)
    finally:
        mgr.stop()


def max_unregistered():
    mgr = Manager("--max-unregistered", "3", "--register-timeout", "0")
    try:
        held = [Node(mgr.port) for _ in range(3)]
        mgr.wait_line(r"x^", timeout=0.5)  # let the manager accept them
        extra = Node(mgr.port)
        expect(extra.wait_closed(), "a connection past --max-unregistered was not closed", mgr)
        expect(not any(h.closed for h in held), "an earlier connection was closed", mgr)
        expect(held[0].register(0)["code"] == CODE_OK, "registration failed", mgr)
        late = Node(mgr.port)
        expect(late.register(0) is not None, "below the bound again, a new node got no answer", mgr)
    finally:
        mgr.stop()


def accept_backoff():
    # Default limits: the 32 descriptors run out long before --max-unregistered or any deadline.
    mgr = Manager(nofile=32)
    try:
        conns = []
        for _ in range(60):
            try:
                conns.append(socket.create_connection(("127.0.0.1", mgr.port), timeout=2))
            except OSError:
                break
        expect(mgr.wait_line(r"accept failed"), "the descriptor limit was not reached", mgr)
        time.sleep(5)
        n = mgr.count(r"accept failed")
        # 100, 200, 400, 800, 1600, 3200, 5000 ms: one line each at most; a line per attempt would be ~50.
        expect(n <= 8, "%d accept-failure lines in 5 s" % n, mgr)
        expect(mgr.p.poll() is None, "the manager exited", mgr)
        for s in conns:
            s.close()
    finally:
        mgr.stop()


def grace_removal():
    with tempfile.TemporaryDirectory() as tmp:
        state = os.path.join(tmp, "state.json")
        mgr = Manager("--node-grace", "1", "--state-file", state)
        try:
            a = Node(mgr.port)
            ack = a.register(0)
            expect(ack and ack["code"] == CODE_OK, "registration failed", mgr)
            seq = a.next_seq()
            a.send(message(DEREGISTRATION, seq, node_id_of(ack)))
            expect(a.wait(lambda m: m["type"] == ACK and m["seq"] == seq), "no De-registration ACK", mgr)
            for _ in range(5):  # nodes that get an ID, then vanish
                v = Node(mgr.port)
                expect(v.register(0)["code"] == CODE_OK, "registration failed", mgr)
                v.close()
            keep = Node(mgr.port)
            kept = node_id_of(keep.register(0))

            def ids():
                # The state file is a snapshot plus a journal of changes (FILE.journal) since it.
                try:
                    with open(state) as f:
                        table = {n["id"]: n for n in json.load(f)["nodes"]}
                    if os.path.exists(state + ".journal"):
                        with open(state + ".journal") as f:
                            for line in f:
                                if not line.endswith("\n"):
                                    break  # being written
                                rec = json.loads(line)
                                key = rec.get("put") or rec.get("erase") or ""
                                if not key.startswith("nodes/"):
                                    continue
                                if "put" in rec:
                                    table[rec["value"]["id"]] = rec["value"]
                                else:
                                    table.pop(int(key.split("/")[1]), None)
                    return sorted(table)
                except (OSError, ValueError, KeyError):
                    return None

            end = time.monotonic() + WAIT
            while time.monotonic() < end and ids() != [kept]:
                time.sleep(0.2)
            expect(ids() == [kept], "node table after the grace: %r (want [%d])" % (ids(), kept), mgr)
        finally:
            mgr.stop()


def max_nodes():
    mgr = Manager("--max-nodes", "2")
    try:
        a, b, c = Node(mgr.port), Node(mgr.port), Node(mgr.port)
        expect(a.register(0)["code"] == CODE_OK and b.register(5)["code"] == CODE_OK, "registration failed", mgr)
        ack = c.register(0)
        expect(ack and ack["code"] == CODE_RESOURCES, "a third node in a table of 2 got %r" % ack, mgr)
        seq = b.next_seq()
        b.send(message(REGISTRATION, seq, 5))  # registering again needs no new entry
        ack = b.wait(lambda m: m["type"] == ACK and m["seq"] == seq)
        expect(ack and ack["code"] == CODE_OK, "a registered node could not register again: %r" % ack, mgr)
    finally:
        mgr.stop()


def ack_subtype_zero():
    mgr = Manager()
    try:
        a = Node(mgr.port)
        expect(a.register(0)["code"] == CODE_OK, "registration failed", mgr)
        seq = a.next_seq()
        a.send(message(99, seq, 1, subtype=124))
        ack = a.wait(lambda m: m["type"] == ACK and m["seq"] == seq)
        expect(ack is not None, "no ACK to the garbage message", mgr)
        expect(ack["code"] == CODE_FAILED, "Code %d" % ack["code"], mgr)
        expect(ack["subtype"] == 0, "the ACK copies the undefined Sub-Type %d" % ack["subtype"], mgr)
    finally:
        mgr.stop()


def undecodable_ack_fails_the_step():
    mgr = Manager("--step", "wait: {registered: 1}", "--step", "get: {node: 1, function: 0}", "--log-level", "info")
    try:
        a = Node(mgr.port, answer=False)
        expect(a.register(1)["code"] == CODE_OK, "registration failed", mgr)
        get = a.wait(lambda m: m["type"] == OPERATION)
        expect(get is not None, "no GET", mgr)
        # The ACK's Length ends inside its second option: the rest follows as if it were more.
        info = option(OPT_NODE_INFO, 11, b"8589934592")  # Available Memory
        whole = len(message(ACK, get["seq"], 1, subtype=get["subtype"], extra=info))
        a.send(message(ACK, get["seq"], 1, subtype=get["subtype"], extra=info, length=whole - 4 - 6))
        try:
            mgr.p.wait(WAIT)
        except subprocess.TimeoutExpired:
            fail("the plan did not end")
        expect(mgr.p.returncode == 1, "plan exit status %d: a step with an undecodable ACK was ok" %
               mgr.p.returncode, mgr)
    finally:
        mgr.stop()


CASES = {f.__name__: f for f in [live_node_keeps_its_id, moved_node_takes_its_id, node_allow, register_timeout,
                                 idle_timeout, max_unregistered, accept_backoff, grace_removal, max_nodes, ack_subtype_zero,
                                 undecodable_ack_fails_the_step]}

if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[2] not in CASES:
        print(__doc__)
        print("cases:", " ".join(CASES))
        sys.exit(2)
    MANAGER = sys.argv[1]
    CASES[sys.argv[2]]()
    print("ok:", sys.argv[2])
