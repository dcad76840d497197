#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""vsm-replay replay and to-scenario against the live reference manager.

usage: replay_live.py VSM_REPLAY VSM_MANAGER VSM_CONFORM VSM_AGENT SOURCE_DIR [--agent-faults]

- replay of traces/recorded/peers-story.pcapng with --role node (the tool plays
  both agents) against vsm-manager running the same plan
  (tools/peers/examples/story.yaml): no difference, exit 0, the plan succeeds;
- the same against the manager with --fault ack-wrong-seq and
  --fault ack-subtype-not-copied: exit 1, a difference and a finding naming the
  fault's requirement ID (from vsm-manager --list-faults);
- replay with --role manager --listen (the tool plays the manager) with two
  live vsm-agents: agent 1 is stopped (SIGTERM: it de-registers) once the tool
  has de-registered node 2, as in the recording; no difference with
  --ignore-value node_info (the agents report this machine's resources: the
  items are compared, their values are not);
- SCTP: the story replayed over SCTP (--transport sctp) against vsm-manager
  --transport sctp, with SCTP evidence decoded by tshark, where the kernel
  offers SCTP (else skipped with the reason); a capture of SCTP conversations
  replays over SCTP by default, so where the kernel has none the tool refuses
  with exit 2 and says why;
- to-scenario of the same trace: vsm-conform lint accepts the file, the
  scenario passes against the reference manager with the plan and fails
  against ack-subtype-not-copied; --role manager --conversation 1 lints too;
- --pcap OUT (in 1, 2 and 2b): the evidence file exists and tshark with the
  freshly built plugin (tools/tshark-vsm) decodes as many VSM messages as the
  replay sent and received; with a fault, a packet comment names the
  difference (skipped when tshark or the plugin is missing);
- usage errors exit 2.

With --agent-faults, only this instead: the tool as the manager against two
vsm-agents started with each of the agent's --fault switches in turn
(--asap): every fault is reported, as a difference from the recording or as
a finding naming its requirement ID, except the few the recorded story does
not exercise (listed below with the reason; such a fault that starts being
reported fails the test, so that the list stays true). A clean run first
shows that the comparison finds nothing without a fault.
"""
import glob
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

replay, manager, conform, agent, src = sys.argv[1:6]
agent_faults_only = "--agent-faults" in sys.argv[6:]
trace = os.path.join(src, "traces", "recorded", "peers-story.pcapng")
plan = os.path.join(src, "tools", "peers", "examples", "story.yaml")
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def fault_requirements():
    out = subprocess.run([manager, "--list-faults"], capture_output=True, text=True, check=True).stdout
    return {f[0]: f[1] for f in (line.split() for line in out.splitlines()) if len(f) >= 2}


def sctp_unavailable():
    """None when the kernel offers SCTP sockets, else why not."""
    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_SCTP).close()
        return None
    except OSError as e:
        return str(e)


class Manager:
    """vsm-manager with the story plan on a kernel-chosen port."""

    def __init__(self, *extra):
        self.p = subprocess.Popen([manager, "--listen", "127.0.0.1:0", "--plan", plan, *extra],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.port = None
        self.log = []
        got = threading.Event()

        def pump():
            for line in self.p.stderr:
                self.log.append(line)
                m = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
                if m and not got.is_set():
                    self.port = int(m.group(1))
                    got.set()
            got.set()

        threading.Thread(target=pump, daemon=True).start()
        got.wait(10)
        if self.port is None:
            self.stop()
            raise SystemExit("vsm-manager did not listen: " + "".join(self.log))

    def wait(self, timeout):
        try:
            out, _ = self.p.communicate(timeout=timeout)
            return self.p.returncode, out
        except subprocess.TimeoutExpired:
            self.stop()
            return None, ""

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(5)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


def run_replay(port, *extra):
    r = subprocess.run([replay, "replay", "--auto", trace, "--role", "node", "--target", f"127.0.0.1:{port}", *extra],
                       capture_output=True, text=True, timeout=60)
    print(r.stdout + r.stderr)
    return r


# The build folder, relative to the source folder as tools/tshark-vsm wants it.
build = os.path.relpath(os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(replay)), "..", "..")), src)
tshark_vsm = os.path.join(src, "tools", "tshark-vsm")
have_tshark = shutil.which("tshark") is not None and os.path.exists(os.path.join(src, build, "dissector", "vsm.so"))


def exchanged(stdout):
    m = re.search(r"sent (\d+), received (\d+)", stdout)
    return int(m.group(1)) + int(m.group(2)) if m else -1


def check_evidence(pcap, r, what, want_comment=None):
    check(os.path.exists(pcap) and os.path.getsize(pcap) > 0, f"{what}: --pcap wrote {os.path.basename(pcap)}")
    check(f"evidence: {pcap}" in r.stdout, f"{what}: --pcap names the evidence file")
    if not have_tshark:
        print(f"skip {what}: tshark or the plugin is missing, evidence not decoded")
        return
    t = subprocess.run([tshark_vsm, "--build", build, "-r", pcap, "-Y", "vsm"], capture_output=True, text=True,
                       cwd=src, timeout=60)
    n = len([x for x in t.stdout.splitlines() if x.strip()])
    check(t.returncode == 0 and n == exchanged(r.stdout) > 0,
          f"{what}: tshark decodes {n} VSM messages in the evidence, the replay exchanged {exchanged(r.stdout)}")
    t = subprocess.run([tshark_vsm, "--build", build, "-r", pcap, "-T", "fields", "-e", "frame.comment"],
                       capture_output=True, text=True, cwd=src, timeout=60)
    comments = t.stdout
    check("recorded frame" in comments, f"{what}: evidence comments name the recorded frames")
    if want_comment:
        check(want_comment in comments, f"{what}: an evidence comment names the {want_comment}")


def replay_as_manager(*extra, agent_args=(), pcap=None):
    """The tool plays the recorded manager (--listen); two live vsm-agents connect to it. Agent 1 is stopped
    (SIGTERM: it de-registers) once the tool has de-registered node 2, as in the recording.
    Returns (exit code, output)."""
    with tempfile.TemporaryDirectory() as tmp:
        rp = subprocess.Popen([replay, "replay", "--auto", trace, "--role", "manager", "--listen", "127.0.0.1:0",
                               "--ignore-value", "node_info", "-v", *extra, *(["--pcap", pcap] if pcap else [])],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        agents = []
        lines = []
        port = None
        deadline = threading.Timer(60, rp.kill)
        deadline.start()
        for line in rp.stdout:
            lines.append(line)
            m = re.search(r"^listening on 127\.0\.0\.1:(\d+)", line)
            if m or line.startswith("c1: accepted"):
                port = m.group(1) if m else port
                agents.append(subprocess.Popen([agent, "--manager", f"127.0.0.1:{port}", *agent_args, "--state-file",
                                                os.path.join(tmp, f"agent{len(agents) + 1}.json")],
                                               stderr=subprocess.DEVNULL))
            if re.match(r"^c\d+ > De-registration", line) and agents:
                agents[0].terminate()
        rp.wait()
        deadline.cancel()
        for a in agents:
            if a.poll() is None:
                a.terminate()
            a.wait(10)
    return rp.returncode, "".join(lines)


def finish():
    if failures:
        print(f"{len(failures)} failure(s)")
        sys.exit(1)
    sys.exit(0)


# Agent faults the recorded story cannot show, and why.
NOT_EXERCISED = {
    "no-ack-keepalive": "the recorded story has no Keep-Alive (the manager's interval is longer than the story)",
    "no-spontaneous-report": "the agents' load does not cross a threshold during the story",
}

if agent_faults_only:
    start = time.monotonic()
    rc, out = replay_as_manager("--asap", "--timeout", "1")
    check(rc == 0 and "0 differences, 0 findings" in out, "clean agents: exit 0, no difference, no finding")
    listed = subprocess.run([agent, "--list-faults"], capture_output=True, text=True, check=True).stdout
    faults = [line.split()[:2] for line in listed.splitlines() if len(line.split()) >= 2]
    print(f"{'fault':34} {'requirement':26} exit  differences findings  reported")
    for fault, req in faults:
        rc, out = replay_as_manager("--asap", "--timeout", "1", agent_args=("--fault", fault))
        m = re.search(r"(\d+) differences, (\d+) findings", out)
        diffs, finds = (int(m.group(1)), int(m.group(2))) if m else (-1, -1)
        named = f"[{req}]" in out
        reported = rc in (0, 1) and m is not None and (diffs > 0 or named)
        print(f"{fault:34} {req:26} {rc:4} {diffs:11} {finds:8}  "
              f"{'requirement named' if named else 'difference' if diffs > 0 else 'no'}", flush=True)
        if fault in NOT_EXERCISED:
            check(not reported, f"--fault {fault} is not exercised by the story ({NOT_EXERCISED[fault]})")
        else:
            check(reported, f"--fault {fault}: reported as a difference or as {req}")
            if not reported:
                print(out[-3000:])
    print(f"{time.monotonic() - start:.1f} s")
    finish()

evidence_dir = tempfile.TemporaryDirectory()
start = time.monotonic()

# 1. The recorded story against the live manager, original timing.
m = Manager()
ev = os.path.join(evidence_dir.name, "story.pcapng")
r = run_replay(m.port, "--pcap", ev)
rc, out = m.wait(15)
check(r.returncode == 0, "replay --role node against vsm-manager: exit 0")
check("0 differences, 0 findings" in r.stdout, "replay: no difference and no finding")
check(rc == 0 and "plan succeeded" in out, "the live manager's plan succeeded against the replayed agents")
check_evidence(ev, r, "replay --pcap")

# 2. Fault switches: the difference and the finding with the requirement ID.
reqs = fault_requirements()
for fault in ("ack-wrong-seq", "ack-subtype-not-copied"):
    m = Manager("--fault", fault)
    ev = os.path.join(evidence_dir.name, f"{fault}.pcapng")
    r = run_replay(m.port, "--asap", "--timeout", "1", "--pcap", ev)
    m.stop()
    check_evidence(ev, r, f"replay --pcap against --fault {fault}", "difference")
    check(r.returncode == 1, f"replay against --fault {fault}: exit 1")
    check("difference" in r.stdout, f"--fault {fault}: a difference is reported")
    check(f"[{reqs[fault]}]" in r.stdout, f"--fault {fault}: finding {reqs[fault]} reported")

# 2b. The tool as the manager, two live agents connecting to it.
listen_pcap = os.path.join(evidence_dir.name, "listen.pcapng")
rc, out = replay_as_manager("--timeout", "3", pcap=listen_pcap)
print(out)
check(rc == 0, "replay --role manager --listen with two live vsm-agents: exit 0")
check("0 differences, 0 findings" in out, "replay --role manager: no difference")
check_evidence(listen_pcap, subprocess.CompletedProcess([], 0, out), "replay --listen --pcap")

# 2c. SCTP.
why = sctp_unavailable()
if why is None:
    m = Manager("--transport", "sctp")
    ev = os.path.join(evidence_dir.name, "sctp.pcapng")
    r = run_replay(m.port, "--transport", "sctp", "--pcap", ev)
    rc, out = m.wait(15)
    check(r.returncode == 0 and "0 differences, 0 findings" in r.stdout,
          "replay --transport sctp against vsm-manager --transport sctp: exit 0, no difference")
    check(rc == 0 and "plan succeeded" in out, "the live SCTP manager's plan succeeded")
    check_evidence(ev, r, "replay --transport sctp --pcap")
else:
    print(f"skip the live SCTP replay: this kernel offers no SCTP ({why})")
r = subprocess.run([replay, "replay", os.path.join(src, "traces", "sctp.pcapng"), "--role", "node", "--target",
                    "127.0.0.1:1", "--timeout", "1"], capture_output=True, text=True, timeout=60)
check(r.returncode == 2, "replay of an SCTP capture where nothing listens (or SCTP is missing): exit 2")
if why is not None:
    check("SCTP" in r.stderr and "does not offer" in r.stderr,
          "replay of an SCTP capture says this machine has no SCTP: " + r.stderr.strip())

# 3. to-scenario: lint, run against the reference manager, and against a fault.
with tempfile.TemporaryDirectory() as tmp:
    scen = os.path.join(tmp, "story.yaml")
    r = subprocess.run([replay, "to-scenario", "--auto", trace, "--role", "node", "-o", scen],
                       capture_output=True, text=True)
    check(r.returncode == 0 and os.path.exists(scen), "to-scenario --role node writes the scenario")
    text = open(scen).read() if os.path.exists(scen) else ""
    check("capture: {node_1: node_id}" in text and "$node_2" in text, "to-scenario: assigned Node IDs are variables")
    r = subprocess.run([conform, "lint", scen], capture_output=True, text=True)
    check(r.returncode == 0, "vsm-conform lint accepts the scenario: " + r.stdout.strip() + r.stderr.strip())
    iut = f"{manager} --listen {{host}}:{{port}} --plan {plan}"
    for fault, want in (("", 0), ("ack-subtype-not-copied", 1)):
        cmd = iut + (f" --fault {fault}" if fault else "")
        r = subprocess.run([conform, "run", "--iut", "manager", "--connect", "127.0.0.1:0", "--iut-cmd", cmd,
                            "--suite", scen], capture_output=True, text=True, timeout=60)
        print(r.stdout[-1500:] + r.stderr[-500:])
        check(r.returncode == want, f"vsm-conform run of the scenario against vsm-manager {fault}: exit {want}")
    scen2 = os.path.join(tmp, "agent.yaml")
    r = subprocess.run([replay, "to-scenario", "--auto", trace, "--role", "manager", "--conversation", "1", "-o",
                        scen2], capture_output=True, text=True)
    check(r.returncode == 0, "to-scenario --role manager --conversation 1")
    r = subprocess.run([conform, "lint", scen2], capture_output=True, text=True)
    check(r.returncode == 0, "vsm-conform lint accepts the agent scenario: " + r.stdout.strip() + r.stderr.strip())

# 3b. to-scenario of every bundled trace (both roles) lints.
with tempfile.TemporaryDirectory() as tmp:
    files = []
    traces = sorted(glob.glob(os.path.join(src, "traces", "*.pcapng")) +
                    glob.glob(os.path.join(src, "traces", "recorded", "*.pcapng")))
    for t in traces:
        if os.path.basename(t) == "not-vsm.pcapng":
            continue
        for role in ("node", "manager"):
            out = os.path.join(tmp, f"{os.path.basename(t)}.{role}.yaml")
            r = subprocess.run([replay, "to-scenario", "--auto", "--port", "7750", "--port", "9900", t, "--role", role,
                                "-o", out], capture_output=True, text=True)
            check(r.returncode == 0, f"to-scenario {os.path.basename(t)} --role {role}: {r.stderr.strip()}")
            files.append(out)
    r = subprocess.run([conform, "lint", *files], capture_output=True, text=True)
    check(r.returncode == 0, f"vsm-conform lint accepts the {len(files)} scenarios of the bundled traces")
    if r.returncode != 0:
        print(r.stdout + r.stderr)

# 4. Usage errors.
for args in (["replay", trace, "--role", "node"], ["replay", trace, "--role", "x", "--target", "127.0.0.1:1"],
             ["to-scenario", trace, "--role", "node"], ["replay", "--role", "node", "--target", "127.0.0.1:1"],
             ["replay", trace, "--role", "node", "--target", "127.0.0.1:1", "--transport", "udp"]):
    r = subprocess.run([replay, *args], capture_output=True, text=True)
    check(r.returncode == 2, "usage error exits 2: " + " ".join(args[:1] + args[2:]))

evidence_dir.cleanup()
print(f"{time.monotonic() - start:.1f} s")
finish()
