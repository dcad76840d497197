#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The command-line conventions (top-level README, Command-line conventions and
Exit status) through a program's real binary: help, per-subcommand help,
--version, bad arguments (exit 2, naming what was expected), exit statuses,
outputs that cannot be written (exit 2), and what only that program has.

  cli_programs.py replay BINARY ROOT
  cli_programs.py agent BINARY ROOT
  cli_programs.py manager BINARY ROOT
  cli_programs.py tracegen BINARY ROOT
"""
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


def run(args, stdin=None, timeout=60, input_bytes=None):
    """The finished process; one still running after timeout seconds is killed and has returncode None."""
    try:
        return subprocess.run(args, stdin=stdin, input=input_bytes, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout)
    except subprocess.TimeoutExpired as e:
        return subprocess.CompletedProcess(args, None, e.stdout or b"", (e.stderr or b"") + b" (killed: still running)")


def text(r):
    return r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


def draft_name(root):
    """The draft's name as the codec states it (codec/include/vsm/version.hpp)."""
    with open(os.path.join(root, "codec/include/vsm/version.hpp")) as f:
        return re.search(r'kDraftName = "([^"]+)"', f.read()).group(1)


def project_version(root):
    with open(os.path.join(root, "CMakeLists.txt")) as f:
        return re.search(r"project\(vsm VERSION ([0-9.]+)", f.read()).group(1)


def check_version(binary, tool, root):
    r = run([binary, "--version"])
    out, err = text(r)
    check(r.returncode == 0, f"{tool} --version: exit 0 ({r.returncode})")
    lines = out.splitlines()
    check(bool(lines) and lines[0] == f"{tool} {project_version(root)}", f"{tool} --version names tool and version: {out!r}")
    check(f"codec {project_version(root)}" in out and draft_name(root) in out,
          f"{tool} --version names the codec and the draft: {out!r}")
    check(re.search(r"built against Wireshark [0-9]+\.[0-9]+|built without Wireshark", out) is not None,
          f"{tool} --version names the Wireshark release built against: {out!r}")
    check(err == "", f"{tool} --version: nothing on stderr")


def check_usage(binary, args, tool, expect_in_err, what):
    r = run([binary] + args, timeout=15)
    out, err = text(r)
    check(r.returncode == 2, f"{what}: exit 2 ({r.returncode}; {err.strip()[:200]!r})")
    for e in expect_in_err:
        check(e in err, f"{what}: stderr says {e!r} ({err.strip()[:300]!r})")
    check("--help" in err, f"{what}: stderr says where help is ({err.strip()[:200]!r})")


def option_names(help_text):
    return set(re.findall(r"^\s+(?:-\w \[ )?(--[\w-]+)", help_text, re.M))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ------------------------------------------------------------------ vsm-replay

def test_replay(binary, root):
    traces = os.path.join(root, "traces")
    trace = lambda n: os.path.join(traces, n)
    r = run([binary, "--help"])
    out, _ = text(r)
    check(r.returncode == 0 and all(c in out for c in ["decode", "check", "stats", "replay", "to-scenario"]),
          "vsm-replay --help: exit 0, lists the commands")
    check_version(binary, "vsm-replay", root)
    # Per-subcommand help: only that command's options.
    helps = {}
    for cmd in ["decode", "check", "stats", "replay", "to-scenario"]:
        r = run([binary, cmd, "--help"])
        out, _ = text(r)
        helps[cmd] = option_names(out)
        check(r.returncode == 0 and out.startswith(f"Usage: vsm-replay {cmd} "), f"vsm-replay {cmd} --help: exit 0")
        check("--file" not in helps[cmd], f"vsm-replay {cmd} --help hides the positional --file")
        check("0.20000000000000001" not in out and "5.0000" not in out, f"vsm-replay {cmd} --help: defaults as typed")
    check("--junit" in helps["check"] and "--quiet" in helps["check"], "check --help has --junit and --quiet")
    check("--junit" not in helps["decode"] and "--target" not in helps["decode"], "decode --help: no check/replay options")
    check("--target" in helps["replay"] and "--output" not in helps["replay"] and "--junit" not in helps["replay"],
          "replay --help: --target, not to-scenario's or check's options")
    check("--output" in helps["to-scenario"] and "--target" not in helps["to-scenario"],
          "to-scenario --help: --output, not replay's options")
    r = run([binary, "help", "stats"])
    check(r.returncode == 0 and text(r)[0].startswith("Usage: vsm-replay stats"), "vsm-replay help stats")
    r = run([binary, "check", "-h"])
    check(r.returncode == 0 and "--junit" in text(r)[0], "vsm-replay check -h")

    # Bad arguments: exit 2, saying what was expected.
    check_usage(binary, [], "vsm-replay", ["Usage:"], "vsm-replay without arguments")
    check_usage(binary, ["bogus"], "vsm-replay", ["unknown command 'bogus'"], "vsm-replay bogus")
    check_usage(binary, ["check"], "vsm-replay", ["no capture file"], "vsm-replay check without a file")
    check_usage(binary, ["check", "--bogus", trace("all-messages.pcapng")], "vsm-replay", ["bogus"],
                "vsm-replay check --bogus")
    check_usage(binary, ["check", "--length-convention", "total5", trace("all-messages.pcapng")], "vsm-replay",
                ["profile or literal"], "vsm-replay check --length-convention total5")
    check_usage(binary, ["check", "--port", "0", trace("all-messages.pcapng")], "vsm-replay", ["--port 0"],
                "vsm-replay check --port 0")
    check_usage(binary, ["check", trace("all-messages.pcapng"), "extra"], "vsm-replay", ["too many arguments"],
                "vsm-replay check with two files")
    for bad in ["7750", "localhost", "::1:7750", "127.0.0.1:70000"]:
        check_usage(binary, ["replay", trace("session-mobility.pcapng"), "--role", "node", "--target", bad],
                    "vsm-replay", ["expected HOST:PORT, e.g. 127.0.0.1:7750 or [::1]:7750", f"'{bad}'"],
                    f"vsm-replay replay --target {bad}")

    # Exit statuses: 0 clean, 1 findings, 2 unreadable.
    r = run([binary, "check", trace("all-messages.pcapng")])
    check(r.returncode == 0, f"check of a clean trace: exit 0 ({r.returncode})")
    r = run([binary, "check", trace("malformed-tcp.pcapng")])
    out, _ = text(r)
    check(r.returncode == 1, f"check with error findings: exit 1 ({r.returncode})")
    check(" in 1 VSM connection: " in out and "1 VSM connections" not in out, f"plurals: {out.splitlines()[-1]!r}")
    check(re.search(r"\b1 notes\b|\b1 errors\b|\b1 warnings\b", out) is None, "no '1 notes'")
    for cmd in ["decode", "check", "stats"]:
        r = run([binary, cmd, trace("no-such-file.pcapng")])
        check(r.returncode == 2 and "no-such-file" in text(r)[1], f"{cmd} of a missing file: exit 2 ({r.returncode})")
    with tempfile.TemporaryDirectory() as tmp:
        txt = os.path.join(tmp, "notes.txt")
        with open(txt, "w") as f:
            f.write("not a capture\n" * 10)
        r = run([binary, "check", txt])
        check(r.returncode == 2 and "not a readable pcap" in text(r)[1], f"check of a text file: exit 2 ({r.returncode})")
        # A truncated capture: an I/O error too (2), what came before is still reported.
        with open(trace("all-messages.pcapng"), "rb") as f:
            data = f.read()
        cut = os.path.join(tmp, "cut.pcapng")
        with open(cut, "wb") as f:
            f.write(data[: len(data) - 37])
        r = run([binary, "decode", cut])
        check(r.returncode == 2 and r.stdout.count(b"\n") > 5, f"decode of a truncated capture: exit 2 ({r.returncode})")

        # Outputs that cannot be written: exit 2 with the reason, before the capture is read.
        r = run([binary, "check", "--junit", "/nonexistent/dir/j.xml", trace("all-messages.pcapng")])
        out, err = text(r)
        check(r.returncode == 2 and "cannot write /nonexistent/dir/j.xml" in err and out == "",
              f"check --junit into a missing folder: exit 2, nothing checked ({r.returncode}, {err.strip()!r})")
        r = run([binary, "to-scenario", trace("session-mobility.pcapng"), "--role", "node", "-o",
                 "/nonexistent/dir/s.yaml"])
        check(r.returncode == 2 and "cannot write" in text(r)[1], f"to-scenario -o into a missing folder: exit 2 ({r.returncode})")

        # - reads standard input, pcapng and pcap alike.
        ref = run([binary, "decode", trace("session-mobility.pcapng")])
        with open(trace("session-mobility.pcapng"), "rb") as f:
            r = run([binary, "decode", "-"], stdin=f)
        check(r.returncode == 0 and r.stdout == ref.stdout and ref.stdout, "decode - (pcapng on stdin) = decode FILE")
        pcap = os.path.join(tmp, "session-mobility.pcap")
        conv = None
        if shutil.which("editcap"):
            conv = run(["editcap", "-F", "pcap", trace("session-mobility.pcapng"), pcap])
        if conv is None or conv.returncode != 0:
            print("skip  check - of a pcap (not pcapng) file: editcap is missing or failed")
        else:
            ref = run([binary, "check", pcap])
            with open(pcap, "rb") as f:
                data = f.read()
            r = run([binary, "check", "-"], input_bytes=data)  # through a pipe
            check(r.returncode == ref.returncode == 0, f"check - (pcap through a pipe): exit 0 ({r.returncode})")
            check(text(r)[0].replace("standard input", "X") == text(ref)[0].replace(pcap, "X"),
                  "check - says the same as check FILE, naming standard input")
        r = run([binary, "check", "-"], input_bytes=b"garbage" * 10)
        check(r.returncode == 2 and "standard input" in text(r)[1], f"check - of garbage: exit 2 naming standard input")

    # Never silent: a VSM capture on another port, without --auto, is exit 2 with a hint.
    for cmd in ["decode", "check", "stats"]:
        r = run([binary, cmd, trace("heuristic.pcapng")])
        out, err = text(r)
        check(r.returncode == 2 and "--auto" in err and "--port" in err and "nothing recognised as VSM" in err,
              f"{cmd} of a VSM capture on another port: exit 2 with a hint ({r.returncode}, {err.strip()[-200:]!r})")
    r = run([binary, "check", "--auto", trace("heuristic.pcapng")])
    check(r.returncode in (0, 1) and " 0 messages" not in text(r)[0], f"check --auto finds it ({r.returncode})")

    # check --json: one document, the same totals as the text.
    r = run([binary, "check", "--json", trace("malformed-tcp.pcapng")])
    try:
        doc = json.loads(r.stdout)
    except ValueError as e:
        doc = None
        check(False, f"check --json parses: {e}")
    if doc is not None:
        check(r.returncode == 1, f"check --json with findings: exit 1 ({r.returncode})")
        check(doc["errors"] == sum(1 for f in doc["findings"] if f["severity"] == "error") and doc["errors"] > 0,
              "check --json: errors counted as listed")
        check(all(f["id"].startswith("VSM-") and "frame" in f and "conn" in f for f in doc["findings"]),
              "check --json: every finding has its requirement ID, frame and connection")
        txt_line = text(run([binary, "check", "-q", trace("malformed-tcp.pcapng")]))[0].strip()
        check(f"{doc['messages']} messages" in txt_line and f"{doc['errors']} errors" in txt_line,
              f"check --json agrees with the summary line {txt_line!r}")
        check(len(doc["conversations"]) == doc["connections"] == 1, "check --json: the conversations")

    # JSON times to the microsecond.
    r = run([binary, "decode", "--json", trace("session-mobility.pcapng")])
    long_floats = [m for m in re.findall(rb"\d+\.\d+", r.stdout) if len(m.split(b".")[1]) > 6]
    check(r.returncode == 0 and not long_floats, f"decode --json: times to the microsecond ({long_floats[:3]})")
    r = run([binary, "stats", "--json", trace("session-mobility.pcapng")])
    long_floats = [m for m in re.findall(rb"\d+\.\d+", r.stdout) if len(m.split(b".")[1]) > 6]
    check(r.returncode == 0 and not long_floats, f"stats --json: times to the microsecond ({long_floats[:3]})")

    # One length-convention spelling, the old ones as aliases.
    ref = run([binary, "check", "--length-convention", "literal", trace("literal-length.pcapng")])
    check(ref.returncode == 0, f"check --length-convention literal of the literal trace: clean ({ref.returncode})")
    for alias in ["literal3", "draft-literal"]:
        r = run([binary, "check", "--length-convention", alias, trace("literal-length.pcapng")])
        check(r.returncode == 0 and r.stdout == ref.stdout, f"--length-convention {alias} = literal")
    r = run([binary, "check", "--length-convention", "total4", trace("all-messages.pcapng")])
    check(r.returncode == 0, "--length-convention total4 = profile")


# ------------------------------------------------------------------ the peers

def test_peer(binary, root, tool, addr_option):
    r = run([binary, "--help"])
    out, _ = text(r)
    check(r.returncode == 0 and out.startswith(f"Usage: {tool} [options]") and addr_option in out,
          f"{tool} --help: exit 0, usage and {addr_option}")
    check(draft_name(root) in out, f"{tool} --help names the draft")
    check(re.search(r"\(=\d+\.\d*0000000", out) is None, f"{tool} --help: defaults as typed, no 0.20000000000000001")
    if tool == "vsm-agent":
        check("(=0.2)" in out, f"{tool} --help: --start-delay's default prints as 0.2")
    check("(=profile)" in out, f"{tool} --help: the length convention's default is profile")
    r = run([binary, "-h"])
    check(r.returncode == 0, f"{tool} -h")
    check_version(binary, tool, root)
    check_usage(binary, ["--bogus"], tool, ["bogus"], f"{tool} --bogus")
    check_usage(binary, ["--length-convention", "total5"], tool, ["profile or literal"],
                f"{tool} --length-convention total5")
    for bad in ["7750", "::1:7750", "[::1]7750", "127.0.0.1:65536", "bad host:1"]:
        check_usage(binary, [addr_option, bad], tool, ["expected HOST:PORT, e.g. 127.0.0.1:7750 or [::1]:7750"],
                    f"{tool} {addr_option} {bad}")
    r = run([binary, "--state-file", "/nonexistent/dir/state.json", addr_option, "127.0.0.1:1"], timeout=10)
    check(r.returncode == 2 and "cannot write /nonexistent/dir/state.json" in text(r)[1],
          f"{tool} --state-file into a missing folder: exit 2 ({r.returncode}, {text(r)[1].strip()[:200]!r})")


def test_manager(binary, root):
    test_peer(binary, root, "vsm-manager", "--listen")
    # Names and [v6] listen; a one-step plan ends the run with exit 0.
    for listen, shown in [("localhost:0", r"listening on (127\.0\.0\.1|\[::1\]):\d+"),
                          ("127.0.0.1:0", r"listening on 127\.0\.0\.1:\d+"),
                          ("[::1]:0", r"listening on \[::1\]:\d+")]:
        r = run([binary, "--listen", listen, "--step", "sleep: 0"], timeout=20)
        out, err = text(r)
        if listen.startswith("[") and "Cannot assign requested address" in err:
            print("skip  --listen [::1]:0: this machine has no IPv6 loopback")
            continue
        check(r.returncode == 0 and re.search(shown, err + out) is not None,
              f"vsm-manager --listen {listen}: listens, exit 0 ({r.returncode}, {err.strip()[:200]!r})")
    for word in ["profile", "literal", "total4", "literal3", "draft-literal"]:
        r = run([binary, "--listen", "127.0.0.1:0", "--length-convention", word, "--step", "sleep: 0"], timeout=20)
        check(r.returncode == 0, f"vsm-manager --length-convention {word}: accepted ({r.returncode})")


def test_agent(binary, root):
    test_peer(binary, root, "vsm-agent", "--manager")
    # Nothing listens: at the default log level the agent says it cannot reach
    # the manager and retries, with the address and the error, once per kind
    # of failure (not once per attempt).
    for manager in [f"127.0.0.1:{free_port()}", f"localhost:{free_port()}"]:
        p = subprocess.Popen([binary, "--manager", manager, "--reconnect-delay", "0.1"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        lines = []
        deadline = time.time() + 2.0
        os.set_blocking(p.stderr.fileno(), False)
        buf = b""
        while time.time() < deadline:
            ready, _, _ = select.select([p.stderr], [], [], 0.1)
            if ready:
                chunk = p.stderr.read() or b""
                buf += chunk
        p.send_signal(signal.SIGKILL)
        p.wait()
        lines = [l for l in buf.decode(errors="replace").splitlines() if "cannot reach the manager" in l]
        check(len(lines) >= 1 and manager in lines[0] and "retrying" in lines[0] and "refused" in lines[0].lower(),
              f"vsm-agent --manager {manager} with nothing there: says so at the default level ({lines[:1]})")
        check(len(lines) <= 2, f"vsm-agent: the retries are not one line each ({len(lines)} lines in 2 s at 0.1 s)")


def test_tracegen(binary, root):
    for flag in ["--help", "-h"]:
        with tempfile.TemporaryDirectory() as tmp:
            r = subprocess.run([binary, flag], cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            out = r.stdout.decode()
            check(r.returncode == 0 and out.startswith("Usage: vsm-tracegen [options] FOLDER"),
                  f"vsm-tracegen {flag}: exit 0, usage ({r.returncode}, {r.stderr.decode().strip()[:200]!r})")
            check(os.listdir(tmp) == [], f"vsm-tracegen {flag} writes nothing")
    check_version(binary, "vsm-tracegen", root)
    check_usage(binary, [], "vsm-tracegen", ["no output folder"], "vsm-tracegen without arguments")
    check_usage(binary, ["--bogus"], "vsm-tracegen", ["unexpected"], "vsm-tracegen --bogus")
    check_usage(binary, ["a", "b"], "vsm-tracegen", ["unexpected"], "vsm-tracegen a b")
    check_usage(binary, ["--bench", "x", "f"], "vsm-tracegen", ["MESSAGES"], "vsm-tracegen --bench x f")
    r = run([binary, "/nonexistent/dir"])
    check(r.returncode == 2 and "cannot write /nonexistent/dir/" in text(r)[1],
          f"vsm-tracegen into a missing folder: exit 2 ({r.returncode})")
    with tempfile.TemporaryDirectory() as tmp:
        r = run([binary, tmp])
        check(r.returncode == 0 and "all-messages.pcapng" in os.listdir(tmp), "vsm-tracegen FOLDER: exit 0, traces")


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    which, binary, root = sys.argv[1:]
    binary, root = os.path.abspath(binary), os.path.abspath(root)
    {"replay": test_replay, "manager": test_manager, "agent": test_agent, "tracegen": test_tracegen}[which](binary, root)
    if failures:
        print(f"{len(failures)} check(s) failed:")
        for f in failures:
            print("  " + f)
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
