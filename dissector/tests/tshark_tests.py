#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Tests of the VSM Wireshark plugin with the real tshark.

    tshark_tests.py --plugin vsm.so --traces traces/ --dictionary dictionary.hpp <test>

The plugin is copied into a temporary HOME (personal plugin folder). tshark
started as root ignores personal plugins, so when this runs as root tshark runs
as the unprivileged user "nobody" (runuser) with that HOME.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ARGS = None
WORK = None  # temporary folder: HOME with the plugin, copies of the traces
FAILURES = []


def fail(msg):
    FAILURES.append(msg)
    print("FAIL: " + msg)


def check(cond, msg):
    if not cond:
        fail(msg)
    return cond


def tshark_release():
    """"4.4" for the tshark on PATH: the personal plugin folder is named after it."""
    out = subprocess.run(["tshark", "--version"], capture_output=True, text=True, check=True).stdout
    m = re.search(r"TShark \(Wireshark\) (\d+)\.(\d+)\.", out)
    if not m:
        raise SystemExit("cannot tell the Wireshark release from: %r" % out[:200])
    return "%s.%s" % m.groups()


def setup():
    global WORK
    WORK = tempfile.mkdtemp(prefix="vsm-tshark-")
    os.chmod(WORK, 0o755)
    plugdir = os.path.join(WORK, "home", ".local", "lib", "wireshark", "plugins", tshark_release(), "epan")
    os.makedirs(plugdir)
    shutil.copy(ARGS.plugin, os.path.join(plugdir, "vsm.so"))
    os.makedirs(os.path.join(WORK, "traces"))
    for name in os.listdir(ARGS.traces):
        if name.endswith(".pcapng") or name.endswith(".expect"):
            shutil.copy(os.path.join(ARGS.traces, name), os.path.join(WORK, "traces", name))
    recorded = os.path.join(ARGS.traces, "recorded")
    if os.path.isdir(recorded):
        shutil.copytree(recorded, os.path.join(WORK, "traces", "recorded"))
    for root, dirs, files in os.walk(WORK):
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o755)
        for f in files:
            os.chmod(os.path.join(root, f), 0o755 if f.endswith(".so") else 0o644)


def cleanup():
    if WORK and not ARGS.keep:
        shutil.rmtree(WORK, ignore_errors=True)


def trace(name):
    return os.path.join(WORK, "traces", name)


def tshark(args, env_extra=None, check_rc=True):
    """Runs tshark with the plugin; returns (stdout, stderr, returncode)."""
    env = {"HOME": os.path.join(WORK, "home"), "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"}
    if env_extra:
        env.update(env_extra)
    cmd = ["tshark"] + args
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "nobody", "--", "env"] + ["%s=%s" % kv for kv in env.items()] + cmd
        proc = subprocess.run(cmd, capture_output=True, text=True, env={"PATH": env["PATH"]}, timeout=120)
    else:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    if check_rc and proc.returncode != 0:
        fail("tshark %s exited %d: %s" % (" ".join(args), proc.returncode, proc.stderr.strip()[:500]))
    return proc.stdout, proc.stderr, proc.returncode


def fields(trace_name, field_list, extra=None):
    """Rows of -T fields output for frames that carry VSM."""
    args = ["-r", trace(trace_name), "-Y", "vsm", "-T", "fields", "-E", "separator=|", "-E", "occurrence=a",
            "-E", "aggregator=,"]
    for f in field_list:
        args += ["-e", f]
    out, err, _ = tshark(args + (extra or []))
    return [line.split("|") for line in out.splitlines()]


def count(trace_name, display_filter, extra=None):
    out, _, _ = tshark(["-r", trace(trace_name), "-Y", display_filter, "-T", "fields", "-e", "frame.number"] +
                       (extra or []))
    return len(out.splitlines())


# ---------------------------------------------------------------------------
# Tests


def test_fields():
    """tshark -G fields lists every VSM field, and nothing goes to stderr."""
    out, err, _ = tshark(["-G", "fields"])
    check(err.strip() == "", "tshark -G fields printed to stderr: %r" % err[:500])
    listed = {}
    names = {}
    for line in out.splitlines():
        cols = line.split("\t")
        if len(cols) > 4 and cols[0] == "F" and cols[4] == "vsm":
            listed[cols[2]] = cols[3]
            # Every field says what it is, and its display name can title a column.
            check(len(cols) > 7 and cols[7].strip() != "", "field %s has no description" % cols[2])
            check(cols[1] not in names, "display name %r of %s already names %s" % (cols[1], cols[2], names.get(cols[1])))
            names[cols[1]] = cols[2]
    check(names.get("Boot time (Node information)") == "vsm.node_info.boot_time" and
          names.get("Current load (Function information)") == "vsm.function_info.load_current",
          "shared item names not told apart by their option: %r" % sorted(names)[:80])
    check(names.get("Running status") == "vsm.function_info.running_status", "unshared item name changed")
    expected = {
        "vsm.type": "FT_UINT8", "vsm.subtype": "FT_UINT8", "vsm.length": "FT_UINT16", "vsm.code": "FT_UINT8",
        "vsm.seq": "FT_UINT24", "vsm.option": "FT_NONE", "vsm.option.type": "FT_UINT8",
        "vsm.option.subtype": "FT_UINT8", "vsm.option.length": "FT_UINT16", "vsm.option.value": "FT_BYTES",
        "vsm.ipv4": "FT_IPv4", "vsm.ipv6": "FT_IPv6", "vsm.port": "FT_UINT16", "vsm.node_id": "FT_UINT32",
        "vsm.function_id": "FT_UINT32", "vsm.src_node_id": "FT_UINT32", "vsm.dst_node_id": "FT_UINT32",
        "vsm.vendor.info": "FT_STRING", "vsm.response_in": "FT_FRAMENUM", "vsm.response_to": "FT_FRAMENUM",
        "vsm.response_time": "FT_RELATIVE_TIME", "vsm.node_info.mem_available": "FT_UINT64",
        "vsm.node_info.boot_time": "FT_ABSOLUTE_TIME", "vsm.node_info.cpu_capacity": "FT_DOUBLE",
        "vsm.function_info.running_status": "FT_STRING", "vsm.function_info.name": "FT_STRING",
        "vsm.session_info.ratio": "FT_DOUBLE", "vsm.session_info.count": "FT_UINT64",
    }
    # Every information sub-option of the dictionary has its field.
    text = open(ARGS.dictionary).read()
    tables = {"kNodeInfo": "node_info", "kFunctionInfo": "function_info", "kSessionInfo": "session_info",
              "kVendorInfo": "vendor"}
    subs = 0
    for table, keyword in tables.items():
        body = re.search(r"inline constexpr std::array %s\{(.*?)\n\};" % table, text, re.S)
        if not check(body is not None, "dictionary table %s not found" % table):
            continue
        for m in re.finditer(r'SubOptionSpec\{(\d+), "([a-z_]+)"', body.group(1)):
            subs += 1
            check("vsm.%s.%s" % (keyword, m.group(2)) in listed, "field vsm.%s.%s missing" % (keyword, m.group(2)))
    check(subs >= 27, "only %d information sub-options found in the dictionary" % subs)
    for name, ftype in expected.items():
        if check(name in listed, "field %s missing" % name):
            check(listed[name] == ftype, "field %s is %s, expected %s" % (name, listed[name], ftype))
    # Expert infos: vsm.expert.<id> for the catalogue's observable entries.
    out, err, _ = tshark(["-G", "fields"])
    for rid in ["VSM-6.3.4-ORDER", "VSM-6.1-LENGTH", "VSM-5-ACK", "VSM-6.2.6-ACK-UNSOLICITED"]:
        abbrev = "vsm.expert." + rid.lower().replace("-", "_").replace(".", "_")
        check(abbrev in out, "expert field %s missing" % abbrev)
    out, err, _ = tshark(["-G", "protocols"])
    check(re.search(r"^Virtualized Service Management\tVSM\tvsm(\t|$)", out, re.M) is not None, "protocol vsm missing")
    # Loaded as a dissector plugin (from 4.4 on that needs plugin_describe()).
    out, err, _ = tshark(["-G", "plugins"])
    row = [line.split("\t") for line in out.splitlines() if line.startswith("vsm.so")]
    if check(len(row) == 1, "vsm.so not listed once by tshark -G plugins: %r" % out[:300]):
        version = ARGS.version or row[0][1].strip()
        check([c.strip() for c in row[0][1:3]] == [version, "dissector"],
              "tshark -G plugins lists vsm.so as %r, expected version %s and type dissector" % (row[0], version))


def test_values():
    """Field values per trace (-T fields)."""
    rows = fields("all-messages.pcapng", ["frame.number", "vsm.type", "vsm.subtype", "vsm.code", "vsm.seq"])
    types = [r[1] for r in rows]
    check(sorted(set(types)) == ["1", "2", "3", "4", "5", "6", "7"], "all-messages types: %s" % types)
    ops = {r[2] for r in rows if r[1] == "3"}
    check(ops == {"1", "2", "3", "4", "5", "6"}, "all-messages operations: %s" % ops)
    codes = {r[3] for r in rows if r[1] == "6"}
    check(codes == {"0", "130"}, "all-messages ACK codes: %s" % codes)

    def one(trace_name, flt, field):
        out, _, _ = tshark(["-r", trace(trace_name), "-Y", flt, "-T", "fields", "-e", field])
        return out.strip()

    check(one("all-messages.pcapng", "vsm.type == 3 && vsm.subtype == 4", "vsm.src_node_id") == "3", "MOVE source")
    check(one("all-messages.pcapng", "vsm.type == 3 && vsm.subtype == 4", "vsm.dst_node_id") == "5", "MOVE dest")
    check(one("all-messages.pcapng", "vsm.type == 3 && vsm.subtype == 5", "vsm.dst_node_id") == "6", "COPY dest")
    check(one("all-messages.pcapng", "vsm.type == 3 && vsm.subtype == 6", "vsm.src_node_id") == "3", "MOVE_SESSION")
    check(one("all-messages.pcapng", "vsm.type == 3 && vsm.subtype == 2", "vsm.src_node_id") == "", "ADD has no src")
    check(one("all-messages.pcapng", "vsm.type == 1", "vsm.ipv4") == "10.0.0.3", "Registration IPv4")
    check(one("all-messages.pcapng", "vsm.type == 1", "vsm.port") == "7750", "Registration port")
    check(one("all-messages.pcapng", "vsm.type == 7", "vsm.vendor.info") == "storage exhausted", "Error text")
    check(one("all-messages.pcapng", "vsm.type == 7", "vsm.code") == "129", "Error code")
    check(count("all-messages.pcapng", "vsm.node_info.mem_available < 1000000") == 1, "numeric filter < 1000000")
    check(count("all-messages.pcapng", "vsm.node_info.mem_available == 8589934592") == 1, "numeric filter ==")
    check(count("all-messages.pcapng", "vsm.node_info.cpu_capacity > 2.0") == 1, "double filter")
    check(count("all-messages.pcapng", 'vsm.function_info.running_status == "Terminating"') == 1, "running status")
    check(count("all-messages.pcapng", 'vsm.function_info.name == "P-CSCF"') == 1, "function name")
    check(count("all-messages.pcapng", "vsm.node_info.boot_time == \"2025-12-31 23:00:00Z\"") >= 1 or
          one("all-messages.pcapng", "vsm.type == 6 && vsm.subtype == 1", "vsm.node_info.boot_time")
          .startswith("Dec 31, 2025 23:00:00"), "boot time")
    check(one("all-messages.pcapng", "vsm.type == 3 && vsm.subtype == 6", "vsm.session_info.contact") == "192.0.2.10",
          "session contact")
    check(count("all-messages.pcapng", "vsm.session_info.ratio == 0.3 && vsm.session_info.count == 120") == 1,
          "session ratio/count")
    check(one("all-messages.pcapng", "vsm.type == 1", "vsm.length") == "26", "Registration length field")
    # Info column: one entry per PDU, with names and IDs.
    out, _, _ = tshark(["-r", trace("all-messages.pcapng"), "-Y", "vsm.type == 3 && vsm.subtype == 4"])
    check("Operation MOVE seq=103 node 3 -> 5 function 7" in out, "Info of MOVE: %r" % out)
    # IPv6: the field and the option label both in RFC 5952 form.
    check(one("ipv6.pcapng", "vsm.type == 1", "vsm.ipv6") == "2001:db8::3", "IPv6 option")
    out, _, _ = tshark(["-r", trace("ipv6.pcapng"), "-V", "-Y", "vsm"])
    check(re.search(r"^    IPv6 address: 2001:db8::3$", out, re.M) is not None,
          "IPv6 option label not in RFC 5952 form: %r" %
          [l for l in out.splitlines() if "2001:db8" in l][:4])
    check(re.search(r"^    Session information / Contact address: 2001:db8::4d$", out, re.M) is not None,
          "IPv6 contact label")
    check(":0:0:" not in out, "uncompressed IPv6 text: %r" % [l for l in out.splitlines() if ":0:0:" in l][:4])
    # Sub-OP-Types named after the item of their option type.
    out, _, _ = tshark(["-r", trace("all-messages.pcapng"), "-V", "-Y", "vsm"])
    for line in ["Sub-OP-Type: Running status (50)", "Sub-OP-Type: Available memory size (11)",
                 "Sub-OP-Type: Contact address (2)", "Sub-OP-Type: Information message (1)"]:
        check(line + "\n" in out, "%r missing" % line)
    check(re.search(r"^\s*Sub-OP-Type: 0$", out, re.M) is not None, "fixed-length options: plain Sub-OP-Type 0")
    check(count("all-messages.pcapng", "vsm.option.subtype == 50") >= 1, "vsm.option.subtype stays numeric")
    # Node IDs found in the wrong order are labelled by their place, not their role.
    out, _, _ = tshark(["-r", trace("malformed-tcp.pcapng"), "-V", "-Y", "vsm.expert.vsm_6_3_4_order"])
    check("[First Node ID: 5]" in out and "[Second Node ID: 3]" in out, "ORDER frame labels: %r" %
          [l for l in out.splitlines() if "Node ID" in l])
    check("Source Node ID" not in out and "Destination Node ID" not in out, "ORDER frame still names roles")
    check(count("malformed-tcp.pcapng", "vsm.expert.vsm_6_3_4_order && vsm.src_node_id == 5") == 1,
          "ORDER frame: vsm.src_node_id is still the first Node ID")
    out, _, _ = tshark(["-r", trace("all-messages.pcapng"), "-V", "-Y", "vsm.type == 3 && vsm.subtype == 4"])
    check("[Source Node ID: 3]" in out and "[Destination Node ID: 5]" in out, "MOVE in order: roles named")
    check(one("ipv6.pcapng", "vsm.type == 3", "vsm.session_info.contact") == "2001:db8::4d", "IPv6 contact")
    # Split and coalesced PDUs: every message found, ten in one frame.
    rows = fields("split-coalesced.pcapng", ["frame.number", "vsm.seq", "vsm.type"])
    total = sum(len(r[1].split(",")) for r in rows)
    check(total == 32, "split-coalesced: %d PDUs, expected 32" % total)
    check(any(len(r[1].split(",")) == 10 for r in rows), "split-coalesced: no frame with 10 PDUs")
    out, _, _ = tshark(["-r", trace("split-coalesced.pcapng"), "-Y", "vsm.seq == 111"])
    check("Operation GET seq=111 node 3 function 0, Operation ADD seq=112 node 3 function 8" in out,
          "Info lists both PDUs of a frame: %r" % out)
    check(count("split-coalesced.pcapng", "vsm.type == 3 && vsm.subtype == 4 && vsm.dst_node_id == 5") == 1,
          "MOVE split byte by byte")
    # SCTP on the default port, two messages in one packet.
    rows = fields("sctp.pcapng", ["frame.number", "vsm.seq"])
    check(sum(len(r[1].split(",")) for r in rows) == 10, "sctp: %s" % rows)
    # Sequence wrap.
    rows = fields("seq-wrap.pcapng", ["vsm.seq"])
    check([r[0] for r in rows][2:8] == ["16777214", "16777214", "16777215", "16777215", "0", "0"],
          "seq-wrap sequence numbers: %s" % rows)
    # Session-mobility: both nodes, the whole story.
    rows = fields("session-mobility.pcapng", ["vsm.type", "vsm.subtype"])
    kinds = {(r[0], r[1]) for r in rows}
    for k in [("1", "0"), ("2", "0"), ("3", "2"), ("3", "1"), ("3", "4"), ("3", "6"), ("4", "0"), ("5", "0")]:
        check(k in kinds, "session-mobility lacks type/subtype %s" % (k,))


def test_two_pass():
    """-2: response links and response times."""
    rows = fields("all-messages.pcapng", ["frame.number", "vsm.type", "vsm.response_in", "vsm.response_to",
                                          "vsm.response_time"], ["-2"])
    by_frame = {r[0]: r for r in rows}
    for r in rows:
        if r[1] == "6":
            req = r[3]
            if check(req in by_frame, "ACK %s links to %r" % (r[0], req)):
                check(by_frame[req][2] == r[0], "request %s response_in %r, expected %s" % (req, by_frame[req][2], r[0]))
            check(abs(float(r[4]) - 0.00015) < 1e-9, "response time of %s: %s" % (r[0], r[4]))
        else:
            check(r[2] != "", "request %s has no response_in" % r[0])
    # Sequence numbers reused after a wrap still pair with the right ACK.
    rows = fields("seq-wrap.pcapng", ["frame.number", "vsm.seq", "vsm.response_to", "vsm.response_time"], ["-2"])
    acks = [(r[1], r[2]) for r in rows if r[2]]
    check(acks == [("1", "4"), ("16777214", "6"), ("16777215", "8"), ("0", "10"), ("1", "12")],
          "seq-wrap pairs: %s" % acks)
    # Interleaved ACKs (the MOVE answered after another exchange).
    out, _, _ = tshark(["-r", trace("session-mobility.pcapng"), "-2", "-Y", "vsm.type == 6 && vsm.subtype == 4",
                        "-T", "fields", "-e", "vsm.response_to", "-e", "vsm.response_time"])
    cols = out.strip().split("\t")
    check(len(cols) == 2 and float(cols[1]) > 0.3, "interleaved MOVE ACK: %r" % out)
    # Single pass: the ACK still links back (computed on the fly).
    rows = fields("all-messages.pcapng", ["vsm.response_to"])
    check(sum(1 for r in rows if r[0]) == 12, "single-pass response_to: %s" % rows)
    # Several ACKs in one frame each point back.
    rows = fields("split-coalesced.pcapng", ["frame.number", "vsm.response_to"], ["-2"])
    check(any(r[1] == ",".join(["43"] * 10) for r in rows), "coalesced ACK links: %s" % rows)


def expert_rows(trace_name, two_pass):
    args = ["-r", trace(trace_name), "-Y", "vsm", "-T", "fields", "-E", "separator=|", "-e", "frame.number",
            "-e", "_ws.expert.message"]
    if two_pass:
        args.append("-2")
    out, _, _ = tshark(args)
    result = {}
    for line in out.splitlines():
        frame, _, msgs = line.partition("|")
        result[int(frame)] = msgs
    return result


def test_experts():
    """The expert entries expected for each malformed message (by requirement ID)."""
    for name in ["malformed-tcp", "malformed-sctp", "state-rules"]:
        expect = open(trace(name + ".expect")).read().splitlines()
        one = expert_rows(name + ".pcapng", False)
        two = expert_rows(name + ".pcapng", True)
        checked = 0
        for line in expect:
            if line.startswith("# two-pass "):
                _, _, frame, rid = line.split()
                frame = int(frame)
                check("[%s]" % rid in two.get(frame, ""), "%s frame %d: %s missing with -2" % (name, frame, rid))
                check("[%s] never ACKed" % rid not in one.get(frame, ""),
                      "%s frame %d: never-ACKed reported without -2" % (name, frame))
                checked += 1
                continue
            frame, *ids = line.split()
            for rid in ids:  # an ID listed twice: two messages of the frame show it
                check(one.get(int(frame), "").count("[%s]" % rid) >= ids.count(rid),
                      "%s frame %s: expert %s missing (got %r)" % (name, frame, rid, one.get(int(frame), "")))
                checked += 1
        check(checked >= 5, "%s: only %d expectations" % (name, checked))
    # The state rules fire where the trace breaks them and nowhere else (its other messages are clean).
    for two_pass in (False, True):
        got = {}
        for frame, msgs in expert_rows("state-rules.pcapng", two_pass).items():
            ids = re.findall(r"\[(VSM-[^\]]+)\]", msgs)
            if ids:
                got[frame] = ids
        want = {}
        for line in open(trace("state-rules.expect")).read().splitlines():
            if line and not line.startswith("#"):
                frame, *ids = line.split()
                want[int(frame)] = ids
        check(got == want, "state-rules (two-pass %s): experts %r, expected %r" % (two_pass, got, want))
    # Well-formed traces carry no errors.
    for name in ["all-messages", "session-mobility", "split-coalesced", "ipv6", "seq-wrap", "sctp", "sctp-chunks",
                 "heuristic"]:
        out, _, _ = tshark(["-r", trace(name + ".pcapng"), "-2", "-Y", "_ws.expert.severity >= warning && vsm",
                            "-T", "fields", "-e", "frame.number", "-e", "_ws.expert.message"])
        check(out.strip() == "", "%s has warnings: %s" % (name, out.strip()[:400]))
    # Expert info filterable by its field.
    check(count("malformed-tcp.pcapng", "vsm.expert.vsm_6_3_4_order") == 1, "filter vsm.expert.vsm_6_3_4_order")
    # The expert tap runs without a tree (-z expert): it sees every finding too.
    for name in ["malformed-tcp", "malformed-sctp", "state-rules"]:
        expect = [l for l in open(trace(name + ".expect")).read().splitlines() if not l.startswith("#")]
        for args in (["-z", "expert"], ["-z", "expert", "-2"]):
            out, _, _ = tshark(["-r", trace(name + ".pcapng"), "-q"] + args)
            for line in expect:
                for rid in line.split()[1:]:
                    check(re.search(r"VSM\s+\[%s\]" % re.escape(rid), out) is not None,
                          "%s: %s missing from tshark -q %s" % (name, rid, " ".join(args)))
        out, _, _ = tshark(["-r", trace(name + ".pcapng"), "-q", "-z", "expert,error"])
        check(re.search(r"^Errors \(\d+\)", out, re.M) is not None and "VSM  [VSM-" in out,
              "%s: no VSM error under -z expert,error: %r" % (name, out[:400]))
        check("Warnings (" not in out and "Notes (" not in out, "%s: -z expert,error lists more than errors" % name)
    out, _, _ = tshark(["-r", trace("malformed-tcp.pcapng"), "-q", "-z", "expert", "-2"])
    check(re.search(r"VSM\s+\[VSM-5-ACK\] never ACKed", out) is not None, "-z expert -2 lacks never-ACKed")
    out, _, _ = tshark(["-r", trace("malformed-tcp.pcapng"), "-q", "-z", "expert"])
    check(re.search(r"VSM\s+\[VSM-5-ACK\] never ACKed", out) is None, "-z expert without -2 has never-ACKed")
    out, _, _ = tshark(["-r", trace("all-messages.pcapng"), "-q", "-z", "expert"])
    check("[VSM-" not in out, "clean trace has VSM findings under -z expert: %r" % out[:400])
    # An Expert column is filled without a tree too.
    out, _, _ = tshark(["-r", trace("malformed-tcp.pcapng"), "-o",
                        'gui.column.format:"No.","%m","Expert","%a"'])
    severity = dict(line.split(None, 1) for line in out.splitlines() if len(line.split()) == 2)
    check(severity.get("4") == "Error" and severity.get("6") == "Error", "Expert column: %r" % out[:300])


def test_prefs():
    """Length convention preference (every word, and a wrong one); pairing interval."""
    # The words of every tool (profile, literal) and the earlier spellings (the codec's
    # kLengthConventionAliases: the plugin's first words and vsm-replay's).
    for word, literal in [("literal", True), ("draft-literal", True), ("LITERAL", True), ("literal3", True),
                          ("profile", False), ("total-4", False), ("total4", False)]:
        opt = ["-o", "vsm.length_convention:" + word]
        rows = fields("literal-length.pcapng", ["vsm.type"], opt)
        check((len(rows) == 8) == literal, "literal trace with %s: %d PDUs" % (word, len(rows)))
        findings = count("literal-length.pcapng", "_ws.expert && vsm", opt)
        check((findings == 0) == literal, "literal trace with %s: %d frames with expert infos" % (word, findings))
        findings = count("all-messages.pcapng", "_ws.expert && vsm", opt)
        check((findings == 0) != literal, "profile trace with %s: %d frames with expert infos" % (word, findings))
    check(count("literal-length.pcapng", "vsm.expert.vsm_6_1_length_literal") >= 1,
          "literal trace with the profile convention: literal length not reported")
    # Anything else is an error, not silently the default.
    for word in ["literal4", "bogus", ""]:
        out, err, rc = tshark(["-r", trace("literal-length.pcapng"), "-o", "vsm.length_convention:" + word],
                              check_rc=False)
        check(rc != 0, "-o vsm.length_convention:%s accepted (rc %d)" % (word, rc))
        check("vsm.length_convention" in err and "profile" in err and "literal" in err,
              "-o vsm.length_convention:%s: message %r" % (word, err[:300]))
        check(out == "", "-o vsm.length_convention:%s still dissected" % word)
    # Pairing interval: session-mobility's MOVE ACK comes 0.3 s late.
    extra = ["-2", "-o", "vsm.pairing_interval:0"]
    check(count("session-mobility.pcapng", "vsm.type == 6 && vsm.subtype == 4 && vsm.response_to", extra) == 1,
          "unlimited pairing")
    out, _, _ = tshark(["-r", trace("session-mobility.pcapng"), "-o", "vsm.pairing_interval:1", "-2", "-Y",
                        "vsm.type == 6 && vsm.subtype == 4 && vsm.response_to", "-T", "fields", "-e",
                        "frame.number"])
    check(out.strip() != "", "pairing interval 1 s drops a 0.3 s ACK")
    # A 3 s late ACK: paired by default, given up on with a 2 s interval.
    check(count("late-ack.pcapng", "vsm.type == 6 && vsm.seq == 100 && vsm.response_to", ["-2"]) == 1,
          "late ACK paired by default")
    late = ["-2", "-o", "vsm.pairing_interval:2"]
    check(count("late-ack.pcapng", "vsm.type == 6 && vsm.seq == 100 && vsm.response_to", late) == 0,
          "late ACK paired despite the pairing interval")
    check(count("late-ack.pcapng", "vsm.type == 2 && vsm.expert.vsm_5_ack", late) == 1,
          "request past the pairing interval not reported")
    check(count("late-ack.pcapng", "vsm.type == 6 && vsm.expert.vsm_6_2_6_ack_unsolicited", late) == 1,
          "ACK after the pairing interval not reported as unsolicited")
    check(count("session-mobility.pcapng", "vsm.response_to", ["-o", "tcp.desegment_tcp_streams:FALSE"]) >= 1,
          "works without TCP reassembly")
    check(count("split-coalesced.pcapng", "vsm", ["-o", "vsm.desegment:FALSE"]) >= 1, "desegment off")


def test_decode_as():
    """Decode As for TCP and SCTP (port and PPID)."""
    check(count("heuristic.pcapng", "vsm", ["--disable-heuristic", "vsm_tcp"]) == 0, "heuristic disabled")
    check(count("heuristic.pcapng", "vsm", ["--disable-heuristic", "vsm_tcp", "-d", "tcp.port==4000,vsm"]) == 6,
          "Decode As tcp.port")
    check(count("all-messages.pcapng", "vsm") == 24, "TCP port 7750 by default")
    check(count("all-messages.pcapng", "vsm", ["-o", "vsm.tcp.port:7751"]) == 24, "heuristic takes over from the port")
    check(count("heuristic.pcapng", "vsm", ["-o", "vsm.tcp.port:4000", "-o", "vsm.try_heuristic:FALSE"]) == 6,
          "TCP port preference")
    check(count("sctp-decode-as.pcapng", "vsm") == 0, "SCTP on 9900 not VSM by default")
    check(count("sctp-decode-as.pcapng", "vsm", ["-d", "sctp.port==9900,vsm"]) == 8, "Decode As sctp.port")
    check(count("sctp-decode-as.pcapng", "vsm", ["-d", "sctp.ppi==4242,vsm"]) == 8, "Decode As sctp.ppi")
    check(count("sctp.pcapng", "vsm") == 8, "SCTP default port 7750")


def test_heuristic():
    """The heuristic finds VSM on another port and can be switched off."""
    check(count("heuristic.pcapng", "vsm") == 6, "heuristic: VSM not found on port 4000")
    rows = fields("heuristic.pcapng", ["vsm.response_to"], ["-2"])
    check(sum(1 for r in rows if r[0]) == 3, "heuristic conversation pairs ACKs: %s" % rows)
    check(count("heuristic.pcapng", "vsm", ["-o", "vsm.try_heuristic:FALSE"]) == 0, "heuristic preference off")
    # Nothing else is claimed: empty segments, HTTP, near-miss headers, random bytes.
    check(count("heuristic.pcapng", "vsm && tcp.len == 0") == 0, "empty segments claimed")
    check(count("not-vsm.pcapng", "vsm") == 0, "heuristic claims non-VSM TCP payloads")
    check(count("not-vsm.pcapng", "http") >= 1, "not-vsm trace lost its HTTP")


def test_stats():
    """-z vsm,tree and -z vsm,srt."""
    out, _, _ = tshark(["-q", "-r", trace("all-messages.pcapng"), "-z", "vsm,tree"])
    check("Messages by type" in out and "ACKs by result code" in out, "stats tree: %r" % out[:600])
    m = re.search(r"^\s*Messages by type\s+(\d+)", out, re.M)
    check(m is not None and m.group(1) == "24", "stats tree total: %r" % out[:600])
    m = re.search(r"^\s*Operation\s+(\d+)", out, re.M)
    check(m is not None and m.group(1) == "7", "stats tree Operation count: %r" % out[:800])
    check(len(re.findall(r"^\s*MOVE_SESSION\s+1\b", out, re.M)) == 2, "stats tree MOVE_SESSION (request, ACK)")
    check(re.search(r"Administratively prohibited \(130\)\s+1\b", out) is not None, "stats tree code 130")
    out, _, _ = tshark(["-q", "-r", trace("all-messages.pcapng"), "-z", "vsm,srt"])
    check("VSM SRT Statistics" in out, "srt: %r" % out[:600])
    for row in ["Registration", "Keep-Alive", "Operation GET", "Operation MOVE_SESSION", "Status-Update",
                "Error (local Type 7)", "De-registration"]:
        check(re.search(r"^\s*\d+\s+%s\s+1\s" % re.escape(row), out, re.M) is not None,
              "srt row %s: %r" % (row, out[:1500]))

    # Flow Graph: VSM messages appear with their summaries in the "any" flow
    # (Debian's 4.0 headers lack sequence_analysis.h, so there is no VSM-only flow type).
    out, _, _ = tshark(["-q", "-r", trace("session-mobility.pcapng"), "-z", "flow,any,standard,vsm"])
    for line in ["VSM: Registration seq=1 node 0", "VSM: Operation MOVE seq=104 node 3 -> 5 function 7",
                 "VSM: Ack MOVE seq=104 Successful node 3 -> 5 function 7 [Running]"]:
        check(line in out, "flow graph lacks %r: %r" % (line, out[:800]))
    check("TCP:" not in out, "flow graph filter vsm let other frames in")



def test_recorded():
    """Real loopback sessions of the reference peers (traces/recorded/): over
    TCP found by the heuristic on its kernel-chosen port, over SCTP (recorded
    in User-Mode Linux, port 7750) every message one DATA chunk; every
    request ACKed and linked, and not one VSM expert finding."""
    for name in ["recorded/peers-story.pcapng", "recorded/peers-story-sctp.pcapng"]:
        recorded_session(name)
    rows = fields("recorded/peers-story-sctp.pcapng", ["vsm.type", "sctp.data_tsn"], [])
    check(rows and all(len(r[0].split(",")) == len(r[1].split(",")) for r in rows),
          "recorded SCTP session: one VSM message per DATA chunk")


def recorded_session(name):
    rows = fields(name, ["vsm.type", "vsm.response_in", "vsm.response_to"], ["-2"])
    types = [t for r in rows for t in r[0].split(",") if t]
    check(len(types) >= 30, "recorded session: only %d VSM messages" % len(types))
    acks = sum(1 for t in types if t == "6")
    linked = sum(len([x for x in r[2].split(",") if x]) for r in rows)
    check(acks * 2 == len(types) and linked == acks,
          "recorded session: %d messages, %d ACKs, %d linked to a request" % (len(types), acks, linked))
    out, _, _ = tshark(["-2", "-r", trace(name), "-T", "fields", "-e", "_ws.expert.message"])
    findings = [line for line in out.splitlines() if "[VSM-" in line]
    check(not findings, "recorded session has findings: %r" % findings[:5])


# Preferences a trace is meant to be read with.
GOLDEN_ARGS = {
    "sctp-decode-as.pcapng": ["-d", "sctp.port==9900,vsm"],
    "out-of-order.pcapng": ["-o", "tcp.reassemble_out_of_order:TRUE"],
}


def expert_ids(value):
    """The requirement IDs of an expert info entry, or None when it is not one."""
    items = value if isinstance(value, list) else [value]
    ids = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("_ws.expert"), dict):
            return None
        m = re.match(r"\[([^\]]+)\]", item["_ws.expert"].get("_ws.expert.message", ""))
        if m is None:
            return None
        ids.append(m.group(1))
    return ids or None


MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
ISO_TIME = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d:\d\d:\d\d\.\d+)Z$")


def wireshark_value(value):
    """One spelling for what Wireshark itself formats differently by release:
    4.6 writes absolute times in JSON as ISO 8601 (2025-12-31T23:00:00.000000000Z),
    4.0 and 4.4 as "Dec 31, 2025 23:00:00.000000000 UTC"; the golden files keep the latter."""
    m = ISO_TIME.match(value)
    if m:
        year, month, day, clock = m.groups()
        return "%s %2d, %s %s UTC" % (MONTHS[int(month) - 1], int(day), year, clock)
    return value


def normalise(node):
    """Expert entries reduced to their requirement IDs: the golden files pin the
    decoding and which rules fire, not the codec's wording or severities."""
    if isinstance(node, list):
        return [normalise(x) for x in node]
    if isinstance(node, str):
        return wireshark_value(node)
    if not isinstance(node, dict):
        return node
    out = {}
    experts = []
    for key, value in node.items():
        ids = expert_ids(value)
        if ids is not None:
            experts.extend(ids)
        else:
            out[key] = normalise(value)
    if experts:
        out["expert"] = sorted(experts)
    return out


def normalise_json(text):
    data = json.loads(text)
    return [normalise(pkt["_source"]["layers"]) for pkt in data]


def test_golden():
    """-T json -J vsm per trace against dissector/tests/golden/<trace>.json."""
    golden_dir = ARGS.golden
    for name in sorted(os.listdir(os.path.join(WORK, "traces"))):
        if not name.endswith(".pcapng"):
            continue
        extra = GOLDEN_ARGS.get(name, [])
        out, _, _ = tshark(["-r", trace(name), "-2", "-T", "json", "--no-duplicate-keys", "-J", "vsm", "-Y", "vsm"] + extra)
        got = normalise_json(out)
        path = os.path.join(golden_dir, name.replace(".pcapng", ".json"))
        if ARGS.update_golden:
            with open(path, "w") as f:
                json.dump(got, f, indent=1, sort_keys=True)
                f.write("\n")
            continue
        if not check(os.path.exists(path), "golden file %s missing" % path):
            continue
        want = json.load(open(path))
        if got != want:
            detail = ""
            for i, (g, w) in enumerate(zip(got, want)):
                if g != w:
                    detail = "first difference in VSM frame #%d:\n got  %s\n want %s" % (
                        i + 1, json.dumps(g.get("vsm"), sort_keys=True)[:600], json.dumps(w.get("vsm"), sort_keys=True)[:600])
                    break
            if len(got) != len(want):
                detail += " (%d frames, golden has %d)" % (len(got), len(want))
            fail("%s differs from %s (rerun with --update-golden after checking): %s" % (name, path, detail))


def test_snaplen():
    """A capture cut by its snapshot length: what was captured is decoded, no
    VSM length finding, and Wireshark's "Packet size limited during capture"."""
    cutdir = os.path.join(WORK, "snaplen")
    os.makedirs(cutdir)
    os.chmod(cutdir, 0o755)
    length_ids = ["vsm.expert.vsm_6_1_length", "vsm.expert.vsm_6_1_option_length",
                  "vsm.expert.vsm_6_1_length_literal"]
    # (SCTP hands over only whole DATA chunks: a packet cut short loses its
    # later chunks, the messages in them are missing and the sequence numbers
    # show it.)
    for name, snaplen, extra in [("all-messages", 90, []), ("session-mobility", 80, []), ("sctp", 100, []),
                                 ("all-messages", 70, ["-o", "tcp.desegment_tcp_streams:FALSE"])]:
        whole_messages_lost = name == "sctp"
        cut = os.path.join(cutdir, "%s-%d.pcapng" % (name, snaplen))
        subprocess.run(["editcap", "-s", str(snaplen), trace(name + ".pcapng"), cut], check=True, capture_output=True)
        os.chmod(cut, 0o644)
        rel = os.path.relpath(cut, os.path.join(WORK, "traces"))
        short = count(rel, "vsm && _ws.short", extra)
        check(short >= 1, "%s cut at %d: no frame marked as cut by the capture" % (name, snaplen))
        check(whole_messages_lost or count(rel, "vsm", extra) == count(name + ".pcapng", "vsm", extra),
              "%s cut at %d: not every VSM frame found" % (name, snaplen))
        for f in length_ids + ([] if whole_messages_lost else ["_ws.expert.severity >= warning && vsm"]):
            check(count(rel, f, extra) == 0, "%s cut at %d: %s reported" % (name, snaplen, f))
        out, _, _ = tshark(["-r", trace(rel), "-q", "-z", "expert"] + extra)
        if whole_messages_lost:
            check(re.search(r"\[VSM-6\.1-(OPTION-)?LENGTH|MANDATORY\]", out) is None,
                  "%s cut at %d: length findings under -z expert: %r" % (name, snaplen, out[:500]))
        else:
            check("[VSM-" not in out, "%s cut at %d: VSM findings under -z expert: %r" % (name, snaplen, out[:500]))
        out, _, _ = tshark(["-r", trace(rel), "-Y", "vsm && _ws.short"] + extra)
        check(("[cut by the capture]" in out or whole_messages_lost) and "[Packet size limited during capture]" in out,
              "%s cut at %d: Info %r" % (name, snaplen, out[:400]))
    # What was captured is still decoded: the GET ACK's Node ID before the cut.
    rel = os.path.join("..", "snaplen", "all-messages-90.pcapng")
    check(count(rel, "vsm.type == 6 && vsm.subtype == 1 && vsm.node_id == 3 && _ws.short") == 1,
          "cut GET ACK lost its captured options")


def test_reassembly():
    """Out-of-order segments with TCP's out-of-order preference."""
    extra = ["-o", "tcp.reassemble_out_of_order:TRUE"]
    check(count("out-of-order.pcapng", "vsm.type == 3 && vsm.subtype == 4 && vsm.dst_node_id == 5", extra) == 1,
          "out-of-order MOVE not reassembled")
    rows = fields("out-of-order.pcapng", ["vsm.type", "vsm.response_to"], extra + ["-2"])
    check(sum(1 for r in rows if r[1]) == 3, "out-of-order ACK links: %s" % rows)
    # Without the preference the capture still dissects (no crash, no dissector bug).
    tshark(["-r", trace("out-of-order.pcapng"), "-V"])


def test_export_pdu():
    """Export PDU tap: -U VSM writes one upper-PDU record per message, readable again."""
    outdir = os.path.join(WORK, "export")
    os.makedirs(outdir)
    os.chmod(outdir, 0o777)
    out = os.path.join(outdir, "vsm-pdus.pcapng")
    tshark(["-r", trace("split-coalesced.pcapng"), "-U", "VSM", "-w", out])
    rows = fields(os.path.relpath(out, os.path.join(WORK, "traces")), ["vsm.type", "exported_pdu.prot_name"])
    check(len(rows) == 32, "exported PDUs: %d, expected 32" % len(rows))
    check(all(r[1] == "vsm.pdu" for r in rows), "exported PDU dissector name: %s" % rows[:2])
    check(count(os.path.relpath(out, os.path.join(WORK, "traces")), "vsm.dst_node_id == 5 && vsm.subtype == 4") == 2,
          "exported MOVE and its ACK")


def test_fuzz():
    """editcap -E mutations of every trace: no crash, no dissector bug."""
    env = {"WIRESHARK_ABORT_ON_DISSECTOR_BUG": "1", "WIRESHARK_DEBUG_WMEM_OVERRIDE": "strict"}
    fuzzdir = os.path.join(WORK, "fuzz")
    os.makedirs(fuzzdir)
    os.chmod(fuzzdir, 0o755)
    runs = 0
    for name in sorted(os.listdir(os.path.join(WORK, "traces"))):
        if not name.endswith(".pcapng"):
            continue
        for seed in range(ARGS.fuzz_rounds):
            mutated = os.path.join(fuzzdir, "%d-%s" % (seed, name))
            subprocess.run(["editcap", "-E", "0.02", "--seed", str(1000 + seed), trace(name), mutated],
                           check=True, capture_output=True)
            os.chmod(mutated, 0o644)
            extra = ["-d", "sctp.port==9900,vsm"] if name.startswith("sctp-decode") else []
            for args in (["-2", "-V"], ["-T", "fields", "-e", "vsm.type", "-z", "vsm,tree", "-z", "vsm,srt"]):
                out, err, rc = tshark(["-r", mutated] + args + extra, env, check_rc=False)
                runs += 1
                bad = rc < 0 or rc > 2 or "Dissector bug" in out or "DISSECTOR_BUG" in err or "dissector bug" in err
                check(not bad, "fuzz %s (%s): rc=%d %s" % (mutated, " ".join(args), rc, err.strip()[:300]))
    print("fuzz: %d tshark runs" % runs)


TESTS = {
    "fields": test_fields,
    "values": test_values,
    "two_pass": test_two_pass,
    "experts": test_experts,
    "prefs": test_prefs,
    "decode_as": test_decode_as,
    "heuristic": test_heuristic,
    "stats": test_stats,
    "golden": test_golden,
    "reassembly": test_reassembly,
    "snaplen": test_snaplen,
    "export_pdu": test_export_pdu,
    "fuzz": test_fuzz,
    "recorded": test_recorded,
}


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--plugin", required=True)
    p.add_argument("--traces", required=True)
    p.add_argument("--dictionary", required=True)
    p.add_argument("--version", default=None, help="the plugin version tshark -G plugins must show")
    p.add_argument("--golden", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden"))
    p.add_argument("--update-golden", action="store_true")
    p.add_argument("--fuzz-rounds", type=int, default=5)
    p.add_argument("--keep", action="store_true", help="keep the temporary folder")
    p.add_argument("tests", nargs="+", choices=sorted(TESTS) + ["all"])
    ARGS = p.parse_args()
    names = sorted(TESTS) if "all" in ARGS.tests else ARGS.tests
    setup()
    try:
        for name in names:
            print("== %s" % name)
            TESTS[name]()
    finally:
        cleanup()
    if FAILURES:
        print("%d failure(s)" % len(FAILURES))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
