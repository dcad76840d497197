# SPDX-License-Identifier: GPL-2.0-or-later
"""A minimal VSM encoder/decoder written from the draft alone.

draft-yokota-opsawg-virtnw-service-management-02, sections 6.1-6.4, read with
the project's length convention (codec/PROFILE.md: Length = total - 4). It is
deliberately a second, independent implementation: it never imports or reads
the codec, so a hostile peer built on it makes the mistakes (and checks) a
foreign implementation would. Numbers come from the draft's section numbers
given next to each one.
"""

import socket
import struct
import time

HEADER = 8  # 6.1: Type, Sub-Type, Length(16), Code, Sequence Number(24)
OPT_HEADER = 4  # 6.1 Figure 6: OP-Type, Sub-OP-Type, Length(16)
MAX_MESSAGE = HEADER - 4 + 0xFFFF  # Length is 16 bits and excludes 4 octets

# 6.2 message types (7: the project's local Error, PROFILE.md)
REGISTRATION, KEEPALIVE, OPERATION, STATUS_UPDATE, DEREGISTRATION, ACK, ERROR = 1, 2, 3, 4, 5, 6, 7
# 6.3 operations
GET, ADD, DELETE, MOVE, COPY, MOVE_SESSION = 1, 2, 3, 4, 5, 6
# 6.2.6 codes
OK, FAILED, INSUFFICIENT, PROHIBITED, UNKNOWN = 0, 128, 129, 130, 131
# 6.4 option types
O_IPV4, O_IPV6, O_PORT, O_NODE, O_FUNC, O_NODEINFO, O_FUNCINFO, O_SESSION, O_VENDOR = range(1, 10)
# 6.4.6 / 6.4.7 / 6.4.8 / 6.4.9 sub types used here
NI_MEM_TOTAL = 10
FI_NAME, FI_REQ_MEMORY, FI_AVAIL_MEMORY, FI_RUNNING = 1, 10, 11, 50
SI_URI, SI_CONTACT = 1, 2
VI_TEXT = 1


def opt(t, sub=0, value=b""):
    if isinstance(value, str):
        value = value.encode()
    return struct.pack("!BBH", t, sub, len(value)) + value


def node_id(n):
    return opt(O_NODE, 0, struct.pack("!I", n))


def function_id(n):
    return opt(O_FUNC, 0, struct.pack("!I", n))


def ipv4(text):
    return opt(O_IPV4, 0, socket.inet_aton(text))


def port(p):
    return opt(O_PORT, 0, struct.pack("!H", p))


def message(mtype, sub=0, seq=0, code=0, options=b"", length=None):
    """Encode one message; `length` overrides the Length field (for attacks)."""
    if isinstance(options, (list, tuple)):
        options = b"".join(options)
    n = HEADER - 4 + len(options) if length is None else length
    return struct.pack("!BBHB", mtype, sub, n & 0xFFFF, code) + struct.pack("!I", seq & 0xFFFFFF)[1:] + options


class Message:
    def __init__(self, raw):
        self.raw = raw
        self.type, self.sub, self.length, self.code = struct.unpack("!BBHB", raw[:5])
        self.seq = int.from_bytes(raw[5:8], "big")
        self.options = []  # (type, sub, value)
        self.chain_ok = True
        pos = HEADER
        while pos < len(raw):
            if pos + OPT_HEADER > len(raw):
                self.chain_ok = False
                break
            t, s, ln = struct.unpack("!BBH", raw[pos : pos + OPT_HEADER])
            if pos + OPT_HEADER + ln > len(raw):
                self.chain_ok = False
                break
            self.options.append((t, s, raw[pos + OPT_HEADER : pos + OPT_HEADER + ln]))
            pos += OPT_HEADER + ln

    def find(self, t, sub=None):
        return [v for (ot, os_, v) in self.options if ot == t and (sub is None or os_ == sub)]

    def u32(self, t, index=0):
        v = self.find(t)
        return struct.unpack("!I", v[index])[0] if len(v) > index and len(v[index]) == 4 else None

    def vendor_text(self):
        return " ".join(v.decode(errors="replace") for v in self.find(O_VENDOR, VI_TEXT))

    def __repr__(self):
        return f"<VSM type {self.type} sub {self.sub} len {self.length} code {self.code} seq {self.seq} opts {len(self.options)}>"


class FramingError(Exception):
    pass


class Conn:
    """One VSM stream over a socket: framing by Length, own sequence numbers."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.seq = 0
        self.received_bytes = 0

    @classmethod
    def connect(cls, host, p, timeout=5.0):
        s = socket.create_connection((host, p), timeout=timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(s)

    def next_seq(self):
        self.seq = (self.seq + 1) & 0xFFFFFF
        return self.seq

    def send(self, mtype, sub=0, options=b"", code=0, seq=None):
        s = self.next_seq() if seq is None else seq
        self.sock.sendall(message(mtype, sub, s, code, options))
        return s

    def send_raw(self, data):
        self.sock.sendall(data)

    def _fill(self, deadline):
        rest = deadline - time.monotonic()
        if rest <= 0:
            raise TimeoutError("no complete message before the deadline")
        self.sock.settimeout(rest)
        try:
            chunk = self.sock.recv(262144)
        except socket.timeout as e:
            raise TimeoutError("no complete message before the deadline") from e
        if not chunk:
            raise EOFError("connection closed by the peer")
        self.received_bytes += len(chunk)
        self.buf += chunk

    def recv(self, timeout=5.0):
        """Next message, framed by its Length (the peer must be consistent)."""
        deadline = time.monotonic() + timeout
        while len(self.buf) < HEADER:
            self._fill(deadline)
        length = struct.unpack("!H", self.buf[2:4])[0]
        if length < HEADER - 4:
            raise FramingError(f"Length {length} is smaller than the header")
        total = length + 4
        while len(self.buf) < total:
            self._fill(deadline)
        raw, self.buf = self.buf[:total], self.buf[total:]
        m = Message(raw)
        if not m.chain_ok:
            raise FramingError(f"option chain does not fill Length {length} ({m!r})")
        return m

    def drain(self, quiet=0.5, limit=5.0):
        """Everything the peer sends until it is quiet for `quiet` s (bytes, unframed)."""
        end = time.monotonic() + limit
        while time.monotonic() < end:
            self.sock.settimeout(quiet)
            try:
                chunk = self.sock.recv(262144)
            except socket.timeout:
                break
            if not chunk:
                break
            self.received_bytes += len(chunk)
            self.buf += chunk
        data, self.buf = self.buf, b""
        return data

    def ack(self, m, code=OK, options=b"", sub=None):
        """ACK a message as the draft says: Sequence Number and Sub-Type copied."""
        self.sock.sendall(message(ACK, m.sub if sub is None else sub, m.seq, code, options))

    def wait_for(self, pred, timeout=10.0, auto_ack_keepalive=True, node=0):
        """Read until a message satisfies pred; requests on the way are ACKed (Code 0)."""
        deadline = time.monotonic() + timeout
        while True:
            m = self.recv(max(0.01, deadline - time.monotonic()))
            if pred(m):
                return m
            if auto_ack_keepalive and m.type not in (ACK,):
                self.ack(m, OK, node_id(node))

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def split_stream(data):
    """Cut bytes into messages by Length; returns (messages, leftover, problem)."""
    out, pos = [], 0
    while pos + HEADER <= len(data):
        length = struct.unpack("!H", data[pos + 2 : pos + 4])[0]
        if length < HEADER - 4:
            return out, data[pos:], f"Length {length} at offset {pos} is smaller than the header"
        if pos + length + 4 > len(data):
            break
        m = Message(data[pos : pos + length + 4])
        if not m.chain_ok:
            return out, data[pos:], f"option chain of message at offset {pos} does not fill its Length {length}"
        if m.type not in range(1, 8):
            return out, data[pos:], f"message at offset {pos} has Type {m.type}: framing lost"
        out.append(m)
        pos += length + 4
    return out, data[pos:], None if pos == len(data) else f"{len(data) - pos} octets left over at offset {pos}"
