# SPDX-License-Identifier: GPL-2.0-or-later
"""Common ground of the hostile-peer suite.

Starts the real vsm-manager and a well-behaved vsm-agent on loopback ports the
kernel picks, reads their memory from /proc, watches that the good agent keeps
its connection and its Keep-Alive rhythm (from its debug log), plays a fake
manager (vsmwire) for attacks aimed at an agent, and stops everything at the
end (SIGTERM, then SIGKILL after a timeout). Every attack script is

    python3 ATTACK.py --agent BIN --manager BIN --attack NAME [--workdir DIR]

and exits 0 (pass), 1 (fail: each broken assertion is printed), 77 (skip: the
reason is printed).
"""

import argparse
import atexit
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vsmwire as w  # noqa: E402

SKIP = 77
HARD_LIMIT_S = 100  # each attack is built to finish in < 60 s; this is the safety net


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def kb(pid, field="VmRSS"):
    """VmRSS / VmHWM of a process in KiB (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Proc:
    def __init__(self, name, argv, workdir, preexec=None):
        self.name = name
        self.argv = argv
        self.log_path = os.path.join(workdir, f"{name}.log")
        self.log = open(self.log_path, "wb")
        self.p = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=preexec)

    @property
    def pid(self):
        return self.p.pid

    def alive(self):
        return self.p.poll() is None

    def text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def log_size(self):
        return os.path.getsize(self.log_path)

    def wait_log(self, pattern, timeout=10.0, start=0):
        """First match of pattern in the log (from byte `start`), or None by the deadline."""
        rx = pattern if isinstance(pattern, re.Pattern) else re.compile(pattern)
        end = time.monotonic() + timeout
        while True:
            m = rx.search(self.text()[start:])
            if m:
                return m
            if not self.alive() or time.monotonic() > end:
                m = rx.search(self.text()[start:])
                return m
            time.sleep(0.05)

    def rss(self):
        return kb(self.pid)

    def peak(self):
        return kb(self.pid, "VmHWM")

    def stop(self, timeout=5.0):
        if self.p.poll() is None:
            try:
                self.p.send_signal(signal.SIGTERM)
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(5)
        self.log.close()

    def tail(self, n=15):
        return "\n".join("    " + line for line in self.text().splitlines()[-n:])


KEEPALIVE_RX = re.compile(r"^(\d\d):(\d\d):(\d\d\.\d+) .*<- Keep-?alive", re.I | re.M)


class Harness:
    def __init__(self, description, attacks):
        ap = argparse.ArgumentParser(description=description)
        ap.add_argument("--agent", required=True, help="vsm-agent binary")
        ap.add_argument("--manager", required=True, help="vsm-manager binary")
        ap.add_argument("--attack", required=True, choices=sorted(attacks))
        ap.add_argument("--workdir", help="keep logs here (default: a temporary directory, removed on success)")
        self.args = ap.parse_args()
        self.attack = attacks[self.args.attack]
        self.workdir = self.args.workdir or tempfile.mkdtemp(prefix=f"vsm-hostile-{self.args.attack}-")
        os.makedirs(self.workdir, exist_ok=True)
        self.procs = []
        self._help = {}
        self.failures = []
        self.notes = []
        self.t0 = time.monotonic()
        if not os.path.exists("/proc/self/status"):
            self.skip("no /proc/PID/status on this system: memory cannot be read")
        for b in (self.args.agent, self.args.manager):
            if not os.access(b, os.X_OK):
                self.skip(f"{b} is not an executable (build vsm-agent and vsm-manager first)")
        raise_nofile()
        atexit.register(self.cleanup)
        signal.signal(signal.SIGALRM, self._too_long)
        signal.alarm(HARD_LIMIT_S)

    # -- outcome -------------------------------------------------------------
    def _too_long(self, *_):
        self.fail(f"the attack ran over {HARD_LIMIT_S} s")
        self.finish()

    def check(self, cond, what):
        print(("ok   " if cond else "FAIL ") + what, flush=True)
        if not cond:
            self.failures.append(what)
        return cond

    def fail(self, what):
        self.check(False, what)

    def note(self, what):
        print("     " + what, flush=True)

    def skip(self, reason):
        print(f"SKIP: {reason}", flush=True)
        os._exit(SKIP)

    def finish(self):
        signal.alarm(0)
        for p in self.procs:
            if not p.alive() and p.p.returncode not in (0, None, -signal.SIGTERM):
                # exit status 2 is a bad command line: on main the new options do not exist
                self.fail(f"{p.name} exited with status {p.p.returncode}")
        self.cleanup()
        took = time.monotonic() - self.t0
        if self.failures:
            print(f"FAILED {self.args.attack}: {len(self.failures)} assertion(s) ({took:.1f} s); logs in {self.workdir}")
            for p in self.procs:
                print(f"  --- last lines of {p.name} ---\n{p.tail()}")
            os._exit(1)
        print(f"PASSED {self.args.attack} ({took:.1f} s)")
        os._exit(0)

    def run(self):
        try:
            self.attack(self)
        except Exception as e:  # an attack that cannot go on is a failure, with the reason
            self.fail(f"attack stopped: {type(e).__name__}: {e}")
        self.finish()

    def cleanup(self):
        for p in reversed(self.procs):
            p.stop()

    # -- processes -----------------------------------------------------------
    def known_options(self, binary, extra):
        """Drop (and fail on) options the binary does not have, so the attack still shows the behaviour."""
        if binary not in self._help:
            self._help[binary] = subprocess.run([binary, "--help"], capture_output=True, text=True).stdout
        out, args = [], list(extra)
        while args:
            a = args.pop(0)
            value = args.pop(0) if a.startswith("--") and args and not args[0].startswith("--") else None
            if a.startswith("--") and a not in self._help[binary]:
                self.fail(f"{os.path.basename(binary)} has no {a} option; attacking without it")
                continue
            out += [a] + ([value] if value is not None else [])
        return out

    def option_like(self, binary, pattern):
        """The first option of `binary --help` matching pattern (e.g. a bound whose name the brief left open)."""
        if binary not in self._help:
            self._help[binary] = subprocess.run([binary, "--help"], capture_output=True, text=True).stdout
        m = re.search(pattern, self._help[binary])
        return m.group(0) if m else None

    def start_manager(self, *extra, keepalive=1, preexec=None, name="manager"):
        extra = self.known_options(self.args.manager, extra)
        argv = [self.args.manager, "--listen", "127.0.0.1:0", "--keepalive-interval", str(keepalive), *extra]
        m = Proc(name, argv, self.workdir, preexec)
        self.procs.append(m)
        hit = m.wait_log(r"listening on 127\.0\.0\.1:(\d+)", 10)
        if not hit:
            raise RuntimeError(f"{name} did not start ({' '.join(argv)}):\n{m.tail()}")
        m.port = int(hit.group(1))
        return m

    def start_agent(self, manager_port, *extra, name="agent", debug=True):
        argv = [self.args.agent, "--manager", f"127.0.0.1:{manager_port}", "--reconnect-delay", "0.2"]
        argv += ["--start-delay", "0.05", "--stop-delay", "0.05"]
        if debug:
            argv += ["--log-level", "debug"]
        argv += self.known_options(self.args.agent, extra)
        a = Proc(name, argv, self.workdir)
        self.procs.append(a)
        hit = a.wait_log(r"transfer channel listening on ([0-9.]+):(\d+)", 10)
        a.transfer = (hit.group(1), int(hit.group(2))) if hit else None
        return a

    def registered(self, agent, timeout=10.0):
        hit = agent.wait_log(r"registered as node (\d+)", timeout)
        if not hit:
            raise RuntimeError(f"{agent.name} did not register:\n{agent.tail()}")
        agent.node = int(hit.group(1))
        return agent.node

    def good_agent(self, manager):
        """The well-behaved agent that runs alongside every attack on a manager."""
        a = self.start_agent(manager.port, name="good-agent")
        self.registered(a)
        # one Keep-Alive heard before the attack: the rhythm to keep
        if not a.wait_log(KEEPALIVE_RX, 10):
            raise RuntimeError("the good agent heard no Keep-Alive before the attack")
        a.mark = time.monotonic()
        return a

    def keeps_rhythm(self, agent, interval=1.0, max_gap_factor=5.0):
        """The agent never lost its connection and heard Keep-Alives with no gap over max_gap_factor x interval."""
        # watch at least 3 intervals, and hear one more Keep-Alive from now on (not starved at the end)
        time.sleep(max(0.0, agent.mark + 3 * interval - time.monotonic()))
        fresh = agent.wait_log(KEEPALIVE_RX, max_gap_factor * interval, start=agent.log_size())
        self.check(bool(fresh), f"{agent.name} still hears Keep-Alives at the end of the attack")
        text = agent.text()
        lost = re.findall(r"connection to manager lost.*|registration refused.*", text)
        self.check(agent.alive(), f"{agent.name} is still running")
        self.check(not lost, f"{agent.name} kept its connection" + (f" (log: {lost[0]})" if lost else ""))
        self.check(len(re.findall(r"registered as node", text)) == 1, f"{agent.name} registered exactly once")
        times = []
        for m in KEEPALIVE_RX.finditer(text):
            h, mi, s = m.groups()
            times.append(int(h) * 3600 + int(mi) * 60 + float(s))
        gaps = [(b - a) % 86400 for a, b in zip(times, times[1:])]
        worst = max(gaps) if gaps else float("inf")
        self.check(
            len(times) >= 2 and worst <= max_gap_factor * interval,
            f"{agent.name} heard {len(times)} Keep-Alives, largest gap {worst:.1f} s (at most {max_gap_factor * interval:.0f} s)",
        )

    def memory_bound(self, proc, bound_mb, what=""):
        peak = proc.peak() / 1024
        self.check(0 < peak <= bound_mb, f"{proc.name} peak RSS {peak:.1f} MB <= {bound_mb} MB{what}")
        return peak


class FakeManager:
    """A manager written on vsmwire: admits the agent, then the attack drives it."""

    def __init__(self):
        self.ls = socket.socket()
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(64)
        self.port = self.ls.getsockname()[1]
        self.next_id = 1

    def admit(self, timeout=10.0, node=None):
        """Accept one agent, ACK its Registration with a Node ID; returns (conn, node, registration)."""
        self.ls.settimeout(timeout)
        s, _ = self.ls.accept()
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        c = w.Conn(s)
        reg = c.recv(timeout)
        if reg.type != w.REGISTRATION:
            raise RuntimeError(f"the agent's first message is {reg!r}, not a Registration")
        n = node if node is not None else (reg.u32(w.O_NODE) or self.next_id)
        self.next_id = max(self.next_id, n + 1)
        c.ack(reg, w.OK, w.node_id(n))
        c.node = n
        c.registration = reg
        return c

    def close(self):
        self.ls.close()


def operation(c, op, options, timeout=10.0):
    """Send an Operation and wait for its ACK (other requests on the way are ACKed)."""
    seq = c.send(w.OPERATION, op, options)
    return c.wait_for(lambda m: m.type == w.ACK and m.seq == seq, timeout, node=c.node)


def add(c, fid, *extra, timeout=10.0):
    return operation(c, w.ADD, [w.node_id(c.node), w.function_id(fid), *extra], timeout)


def wait_running(c, fid, timeout=10.0):
    """The Status-Update Running after an ADD (ACKed)."""

    def pred(m):
        if m.type != w.STATUS_UPDATE or m.u32(w.O_FUNC) != fid:
            return False
        c.ack(m, w.OK, w.node_id(c.node))
        return b"Running" in b"".join(m.find(w.O_FUNCINFO, w.FI_RUNNING))

    return c.wait_for(pred, timeout, node=c.node)


def keepalive_answered(c, timeout=5.0):
    """The stream still frames: a Keep-Alive gets its ACK (same seq)."""
    seq = c.send(w.KEEPALIVE, 0, w.node_id(c.node))
    m = c.wait_for(lambda m: m.type == w.ACK and m.seq == seq, timeout, node=c.node)
    return m.code == w.OK
