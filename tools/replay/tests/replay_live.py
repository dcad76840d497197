#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""vsm-replay replay and to-scenario against the live reference manager.

usage: replay_live.py VSM_REPLAY VSM_MANAGER VSM_CONFORM VSM_AGENT SOURCE_DIR [--agent-faults | --sctp --uml VSM_UML]

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
- a capture of SCTP conversations replays over SCTP by default, so where the
  kernel has none (this machine) the tool refuses with exit 2 and says why;
- to-scenario of the same trace: vsm-conform lint accepts the file, the
  scenario passes against the reference manager with the plan and fails
  against ack-subtype-not-copied; --role manager --conversation 1 lints too;
- --pcap OUT (in 1, 2 and 2b): the evidence file exists and tshark with the
  freshly built plugin (tools/tshark-vsm) decodes as many VSM messages as the
  replay sent and received; with a fault, a packet comment names the
  difference (skipped when tshark or the plugin is missing);
- usage errors exit 2.

With --sctp (ctest uml.replay.sctp), only this instead: inside User-Mode Linux
(VSM_UML, tools/uml/vsm-uml, which runs this script with --live DIR; it fails
when the kernel there has no SCTP), over SCTP associations: the story replayed with --role node (--transport sctp)
against vsm-manager --transport sctp (no difference, the plan succeeds), the
same against --fault ack-wrong-seq (exit 1, the finding named), and with
--role manager --listen against two vsm-agent --transport sctp (no
difference); every run's SCTP evidence (--pcap) is decoded by tshark with the
plugin (as many VSM messages as exchanged) and by vsm-replay decode (every
message on SCTP, none missing); the recorded SCTP story
(traces/recorded/peers-story-sctp.pcapng) replays over SCTP with no
difference; back on this machine (process start-up is slow in UML, tshark's
most of all), the evidence is read back. Exit 77 only when the kernel cannot
start.

With --agent-faults, only this instead: the tool as the manager against two
vsm-agents started with each of the agent's --fault switches in turn
(--asap): every fault is reported, as a difference from the recording or as
a finding naming its requirement ID, except the few the recorded story does
not exercise (listed below with the reason; such a fault that starts being
reported fails the test, so that the list stays true). A clean run first
shows that the comparison finds nothing without a fault.
"""
import glob
import json
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
sctp_only = "--sctp" in sys.argv[6:]
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


def sctp_decode_as(pcap):
    """-d options for every SCTP port of the file: the dissector has no SCTP heuristic, and the live ports are
    kernel-chosen (as a user would, with Decode As)."""
    t = subprocess.run([tshark_vsm, "--build", build, "-r", pcap, "-T", "fields", "-e", "sctp.srcport"],
                       capture_output=True, text=True, cwd=src, timeout=60)
    return [a for p in sorted(set(t.stdout.split())) for a in ("-d", f"sctp.port=={p},vsm")]


def check_evidence(pcap, r, what, want_comment=None, sctp=False):
    check(os.path.exists(pcap) and os.path.getsize(pcap) > 0, f"{what}: --pcap wrote {os.path.basename(pcap)}")
    if sctp:
        # Read back by vsm-replay too: every message on an SCTP association, as many as exchanged.
        d = subprocess.run([replay, "decode", "--auto", "--json", pcap], capture_output=True, text=True, timeout=60)
        rows = [x for x in d.stdout.splitlines() if x.startswith("{")]
        on_sctp = [x for x in rows if '"transport":"sctp"' in x.replace(" ", "")]
        check(len(rows) == exchanged(r.stdout) > 0 and len(on_sctp) == len(rows),
              f"{what}: vsm-replay decode reads {len(rows)} messages, {len(on_sctp)} on SCTP, "
              f"the replay exchanged {exchanged(r.stdout)}")
    check(f"evidence: {pcap}" in r.stdout, f"{what}: --pcap names the evidence file")
    if not have_tshark:
        print(f"skip {what}: tshark or the plugin is missing, evidence not decoded")
        return
    decode_as = sctp_decode_as(pcap) if sctp else []
    t = subprocess.run([tshark_vsm, "--build", build, "-r", pcap, "-Y", "vsm", *decode_as], capture_output=True,
                       text=True, cwd=src, timeout=60)
    n = len([x for x in t.stdout.splitlines() if x.strip()])
    check(t.returncode == 0 and n == exchanged(r.stdout) > 0,
          f"{what}: tshark decodes {n} VSM messages in the evidence, the replay exchanged {exchanged(r.stdout)}")
    if sctp:
        t = subprocess.run([tshark_vsm, "--build", build, "-r", pcap, "-Y", "vsm && !sctp", "-T", "fields", "-e",
                            "frame.number", *decode_as], capture_output=True, text=True, cwd=src, timeout=60)
        check(t.returncode == 0 and not t.stdout.strip(), f"{what}: tshark finds every VSM message on SCTP")
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
# Agent faults the story shows only when a race goes one way: printed, not judged.
MAY_SHOW = {
    "status-update-after-deregistration": "the fault's Status-Update follows the De-registration agent 1 sends "
                                          "when it is stopped; whether it leaves before the agent exits and "
                                          "before the tool ends the replay depends on timing",
}

if sctp_only and "--live" not in sys.argv:
    # This machine: the live part inside User-Mode Linux, then its evidence read back here (tshark starts
    # slowly there).
    uml = sys.argv[sys.argv.index("--uml") + 1]
    py = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
    with tempfile.TemporaryDirectory() as out:
        os.chmod(out, 0o755)
        r = subprocess.run([uml, "--timeout", "280", "--", py, os.path.abspath(__file__), *sys.argv[1:6], "--sctp",
                            "--live", out])
        if r.returncode == 77:
            sys.exit(77)
        check(r.returncode == 0, f"the live SCTP part inside User-Mode Linux: exit {r.returncode}")
        runs = json.load(open(os.path.join(out, "evidence.json"))) if os.path.exists(
            os.path.join(out, "evidence.json")) else []
        check(len(runs) == 3, f"three SCTP evidence files from the live part ({len(runs)})")
        for e in runs:
            check_evidence(e["pcap"], subprocess.CompletedProcess([], 0, e["stdout"]), e["what"], e["comment"],
                           sctp=True)
    finish()

if sctp_only:
    # Inside User-Mode Linux (--live OUT): the replays over SCTP; the evidence is listed in OUT/evidence.json.
    out_dir = sys.argv[sys.argv.index("--live") + 1]
    why = sctp_unavailable()
    check(why is None, f"this kernel offers SCTP ({why or 'yes'})")
    if why is not None:
        finish()
    evidence = []

    def keep(pcap, r, what, comment=None):
        check(os.path.exists(pcap) and f"evidence: {pcap}" in r.stdout, f"{what}: --pcap wrote {pcap}")
        evidence.append({"pcap": pcap, "stdout": r.stdout, "what": what, "comment": comment})

    start = time.monotonic()
    m = Manager("--transport", "sctp")
    ev = os.path.join(out_dir, "sctp.pcapng")
    r = run_replay(m.port, "--transport", "sctp", "--pcap", ev)
    rc, out = m.wait(15)
    check(r.returncode == 0 and "0 differences, 0 findings" in r.stdout,
          "replay --role node --transport sctp against vsm-manager --transport sctp: exit 0, no difference")
    check(rc == 0 and "plan succeeded" in out, "the live SCTP manager's plan succeeded against the replayed agents")
    keep(ev, r, "replay --transport sctp --pcap")
    reqs = fault_requirements()
    m = Manager("--transport", "sctp", "--fault", "ack-wrong-seq")
    ev = os.path.join(out_dir, "sctp-fault.pcapng")
    r = run_replay(m.port, "--transport", "sctp", "--asap", "--timeout", "1", "--pcap", ev)
    m.stop()
    check(r.returncode == 1 and f"[{reqs['ack-wrong-seq']}]" in r.stdout,
          f"replay over SCTP against --fault ack-wrong-seq: exit 1, {reqs['ack-wrong-seq']} reported")
    keep(ev, r, "replay --transport sctp --pcap against a fault", "difference")
    listen_pcap = os.path.join(out_dir, "sctp-listen.pcapng")
    rc, out = replay_as_manager("--timeout", "3", "--transport", "sctp", agent_args=("--transport", "sctp"),
                                pcap=listen_pcap)
    print(out)
    check(rc == 0 and "0 differences, 0 findings" in out and "live transport: SCTP" in out,
          "replay --role manager --listen --transport sctp with two live vsm-agent --transport sctp: no difference")
    keep(listen_pcap, subprocess.CompletedProcess([], 0, out), "replay --listen --transport sctp --pcap")
    recorded = os.path.join(src, "traces", "recorded", "peers-story-sctp.pcapng")
    check(os.path.exists(recorded), f"{recorded} exists")
    if os.path.exists(recorded):
        m = Manager("--transport", "sctp")
        r = subprocess.run([replay, "replay", recorded, "--role", "node", "--target", f"127.0.0.1:{m.port}"],
                           capture_output=True, text=True, timeout=60)
        print(r.stdout + r.stderr)
        rc, out = m.wait(15)
        check(r.returncode == 0 and "0 differences, 0 findings" in r.stdout and rc == 0,
              "the recorded SCTP story replays over SCTP (its transport by default) with no difference")
    with open(os.path.join(out_dir, "evidence.json"), "w") as f:
        json.dump(evidence, f)
    print(f"{time.monotonic() - start:.1f} s")
    finish()

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
        if fault in MAY_SHOW:
            print(f"ok   --fault {fault} {'reported' if reported else 'not reported'}: not judged "
                  f"({MAY_SHOW[fault]})")
        elif fault in NOT_EXERCISED:
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

# 2c. SCTP: the live runs are the --sctp mode (User-Mode Linux, ctest uml.replay.sctp).
why = sctp_unavailable()
if why is not None:
    print(f"this kernel offers no SCTP ({why}): the live SCTP replays run in User-Mode Linux (uml.replay.sctp)")
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
