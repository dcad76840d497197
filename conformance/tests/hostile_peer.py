#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A deliberately hostile VSM peer for the runner's self-tests.

usage: hostile_peer.py agent|manager MODE HOST PORT

agent:   connects to HOST:PORT like an Execution Node would;
manager: listens on HOST:PORT like a Manager Node would.
MODE: garbage | silence | drip | close-mid | flood | bulk

bulk: 50 MB of garbage in messages of 65,535 octets (random Type but
never a Registration, random body, the header's Length right), 20,000
small messages (Types the runner does not answer), then its
Registration, then silence, reading what it is sent: a test that keeps
everything it receives keeps 50 MB (record_limit_test.py).

The few messages it sends are written byte by byte on purpose (header
layout of codec/PROFILE.md: Type, Sub-Type, Length = total - 4, Code,
24-bit Sequence; Node ID option type 4, length 4): this peer must not share
the codec with the runner it is testing.
"""
import os
import random
import socket
import struct
import sys
import threading
import time


def message(mtype, seq, node_id=0, subtype=0, code=0):
    opt = struct.pack("!BBH", 4, 0, 4) + struct.pack("!I", node_id)
    total = 8 + len(opt)
    return struct.pack("!BBHB", mtype, subtype, total - 4, code) + seq.to_bytes(3, "big") + opt


REGISTRATION, KEEPALIVE, STATUS, ACK = 1, 2, 4, 6


def behave(sock, role, mode):
    rng = random.Random(7)
    first = message(REGISTRATION, 1) if role == "agent" else message(ACK, 1, node_id=1)
    if role == "manager":
        sock.settimeout(10)
        try:
            sock.recv(4096)  # the runner's Registration
        except OSError:
            pass
    if mode == "garbage":
        for _ in range(20):
            sock.sendall(bytes(rng.randrange(256) for _ in range(64)))
            time.sleep(0.05)
        time.sleep(60)
    elif mode == "silence":
        time.sleep(60)
    elif mode == "drip":
        for b in first * 10:
            sock.sendall(bytes([b]))
            time.sleep(1.0)
    elif mode == "close-mid":
        sock.sendall(first[: len(first) // 2])
        time.sleep(0.1)
        sock.close()
        time.sleep(60)
    elif mode == "flood":
        sock.sendall(first)
        seq = 2
        burst = bytearray()
        end = time.monotonic() + 60
        while time.monotonic() < end:
            burst.clear()
            for _ in range(200):
                kind = STATUS if role == "agent" else KEEPALIVE
                burst += message(kind, seq, node_id=1) + message(ACK, seq + 7, node_id=1)
                seq = (seq + 1) & 0xFFFFFF
            try:
                sock.sendall(burst)
            except OSError:
                return
    elif mode == "bulk":
        def drain():  # the runner's ACKs are read (a peer that does not read is another test)
            try:
                while sock.recv(1 << 16):
                    pass
            except OSError:
                pass
        threading.Thread(target=drain, daemon=True).start()
        big_total, size = 50 * 1000 * 1000, 65535
        body = bytes(rng.randrange(256) for _ in range(size))
        sent = 0
        while sent < big_total:  # one buffer, its header changed: the peer itself stays small
            b = bytearray(body)
            b[0:8] = struct.pack("!BBHB", rng.randrange(2, 60), rng.randrange(256), size - 4, 0) + rng.randrange(
                1 << 24).to_bytes(3, "big")
            b[8 + rng.randrange(size - 16)] ^= 0xFF
            sock.sendall(b)
            sent += size
        small = bytearray()
        for i in range(20000):
            small += struct.pack("!BBHB", rng.choice([3, 6, 8]), 0, 8, 0) + (i + 2).to_bytes(3, "big") + bytes(4)
        sock.sendall(small)
        sock.sendall(first)
        time.sleep(60)
    else:
        sys.exit(f"unknown mode {mode}")


def main():
    role, mode, host, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    if role == "agent":
        sock = socket.create_connection((host, port))
        behave(sock, role, mode)
    else:
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind((host, port))
        srv.listen(8)
        while True:
            conn, _ = srv.accept()
            if os.fork() == 0:
                srv.close()
                behave(conn, role, mode)
                os._exit(0)
            conn.close()


if __name__ == "__main__":
    main()
