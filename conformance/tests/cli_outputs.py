# SPDX-License-Identifier: GPL-2.0-or-later
"""The second half of conformance.cli (cli_test.py calls main()): the command-line conventions of issue 13
and outputs that never lie.

- help per subcommand (only its options, no internal ones, clean defaults), --version, bad arguments -> 2,
  HOST:PORT with names and the shape named in the error;
- every unwritable output (/nonexistent/...) -> exit 2 with the path and the reason, before any test runs;
- the manifest lists every output with the SHA-256 and size Python's hashlib computes;
- --pcap-dir writes one pcapng per test that capinfos reads;
- --rerun-failed reruns only the failures of an earlier --json output;
- the HTML report has the verdict banner, a result column, the SHA-256 of suite and profile files and of the
  evidence, the failing message marked in its ladder, ladder labels that overlap neither each other nor an
  arrowhead; console, HTML, JSON and JUnit agree on which requirements failed;
- --quiet with --tap -: TAP alone on stdout.
"""
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def boxes_of(svg):
    """Text boxes and arrowheads of a ladder SVG: (x0, y0, x1, y1, what). Monospace 11 px: 6.6 px a column."""
    boxes = []
    for m in re.finditer(r'<text x="(\d+)" y="(\d+)"([^>]*)>(.*?)</text>', svg):
        x, y, attrs, text = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
        text = re.sub(r"&[a-z]+;", "_", re.sub(r"<title>.*?</title>", "", text))
        w = len(text) * 6.6
        x0 = x - w / 2 if 'text-anchor="middle"' in attrs else x
        boxes.append((x0, y - 9, x0 + w, y + 2, "text " + text[:40]))
    for m in re.finditer(r'<polygon points="(\d+),(\d+) (\d+),(\d+) (\d+),(\d+)"', svg):
        xs = [int(m.group(i)) for i in (1, 3, 5)]
        ys = [int(m.group(i)) for i in (2, 4, 6)]
        boxes.append((min(xs), min(ys), max(xs), max(ys), "arrowhead"))
    return boxes


def overlaps(boxes):
    bad = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                bad.append((a[4], b[4]))
    return bad


def main(conform, agent, profiles, run, check):
    agent_profile = os.path.join(profiles, "reference-agent.yaml")
    agent_run = ["run", "--iut", "agent", "--listen", "localhost:0", "--profile", agent_profile,
                 "--iut-cmd", f"{agent} --manager {{host}}:{{port}}"]
    faulty_run = ["run", "--iut", "agent", "--listen", "127.0.0.1:0", "--profile", agent_profile,
                  "--iut-cmd", f"{agent} --fault add-ack-no-status --manager {{host}}:{{port}}"]

    # ---- help per subcommand, --version, usage errors
    p = run("--version", code=0)
    lines = p.stdout.splitlines()
    check(len(lines) == 3 and lines[0].startswith("vsm-conform ") and "draft-yokota-opsawg" in lines[1]
          and "Wireshark" in lines[2], f"--version: tool, codec and draft, Wireshark: {lines}")
    run_help = run("run", "-h", code=0).stdout
    load_help = run("load", "--help", code=0).stdout
    lint_help = run("lint", "-h", code=0).stdout
    check("--iut-cmd" in run_help and "--pcap-dir" in run_help and "--nodes" not in run_help,
          "run -h: run's options only")
    check("--nodes" in load_help and "--iut-cmd" not in load_help and "--report" not in load_help,
          "load -h: load's options only")
    check("--profile" in lint_help and "--iut" not in lint_help, "lint -h: lint's options only")
    for text in (run_help, load_help, lint_help, run("--help", code=0).stdout):
        check("--command" not in text and "--files" not in text and "--file " not in text,
              "help shows no internal option (--command, --files)")
        check(not re.search(r"\d\.\d{6,}", text), "help prints defaults cleanly (no 0.20000000000000001)")
    check("(=0.2)" in load_help, "load -h: --rate default 0.2")
    run("run", "--bogus", code=2)
    run("frobnicate", code=2)
    p = run("list", "--iut", "foo", code=2)
    check("agent or manager" in p.stderr, "list --iut foo: a usage error naming the roles")
    p = run("run", "--iut", "agent", "--listen", "7750", code=2)
    check("HOST:PORT" in p.stderr, f"--listen 7750: the error names HOST:PORT: {p.stderr.strip()}")
    p = run("run", "--iut", "agent", "--listen", "no-such-host.invalid:0", code=2)
    check("no-such-host.invalid" in p.stderr, "--listen with a name that does not resolve: says which")
    run("load", "--connect", "127.0.0.1", code=2)
    run("run", "--iut", "agent", "--listen", "127.0.0.1:0", "--length-convention", "total3", code=2)

    with tempfile.TemporaryDirectory() as tmp:
        # ---- unwritable outputs: exit 2 before any test runs, with the path and the reason
        for option in ("--junit", "--json", "--tap", "--report", "--pcap", "--manifest", "--pcap-dir"):
            path = "/nonexistent/x.out" if option != "--pcap-dir" else "/nonexistent/dir/ev"
            start = time.monotonic()
            p = run(*agent_run, "--test", "AG-KA-01", option, path, code=2)
            check("/nonexistent" in p.stderr and "No such file or directory" in p.stderr and "[  1/" not in p.stdout
                  and time.monotonic() - start < 5,
                  f"{option} {path}: refused before the run, with the reason: {p.stderr.strip()[:120]}")
        p = run(*agent_run, "--test", "AG-KA-01", "--report", tmp, code=2)
        check("is a directory" in p.stderr, "--report DIR: refused, it is a directory")
        check(not [n for n in os.listdir(tmp) if ".tmp." in n], "the checks leave no temporary file behind")
        p = run(*agent_run, "--test", "AG-KA-01", "--junit", os.path.join(tmp, "same"), "--json",
                os.path.join(tmp, "same"), code=2)
        check("another output" in p.stderr, "two outputs to one path: a usage error")

        # ---- a run with one failure, every output
        d = os.path.join(tmp, "one")
        os.mkdir(d)
        out = {k: os.path.join(d, n) for k, n in (("junit", "r.xml"), ("json", "r.json"), ("tap", "r.tap"),
                                                   ("report", "r.html"), ("pcap", "all.pcapng"))}
        ev_dir = os.path.join(d, "ev")
        p = run(*faulty_run, "--test", "AG-KA-01", "--test", "AG-OP-ADD", "--test", "AG-SCTP-01", "--junit",
                out["junit"], "--json", out["json"], "--tap", out["tap"], "--report", out["report"], "--pcap",
                out["pcap"], "--pcap-dir", ev_dir, code=1)
        console = p.stdout
        manifest_path = out["report"] + ".manifest.json"
        check(os.path.exists(manifest_path), "--report writes REPORT.manifest.json next to it")
        with open(manifest_path) as f:
            manifest = json.load(f)
        listed = {o["path"]: o for o in manifest["outputs"]}
        want = [out[k] for k in ("junit", "json", "tap", "report", "pcap")]
        want += [os.path.join(ev_dir, n) for n in ("AG-KA-01.pcapng", "AG-OP-ADD.pcapng")]
        check(sorted(listed) == sorted(want), f"the manifest lists every output: {sorted(listed)}")
        for path in want:
            o = listed.get(path, {})
            check(o.get("sha256") == sha256(path) and o.get("size") == os.path.getsize(path),
                  f"manifest: SHA-256 and size of {os.path.basename(path)} match the file")
        check(manifest.get("started", "").endswith("Z") and manifest.get("host") and manifest["exit_code"] == 1,
              "manifest: run date (UTC), host, exit status")
        check(not [n for n in os.listdir(d) if ".tmp." in n], "no temporary file left after the writes")

        # ---- --pcap-dir: one pcapng per test that ran (the NA SCTP test exchanged nothing)
        files = sorted(os.listdir(ev_dir))
        check(files == ["AG-KA-01.pcapng", "AG-OP-ADD.pcapng"], f"--pcap-dir: one file per test run: {files}")
        capinfos = shutil.which("capinfos")
        for name in files:
            path = os.path.join(ev_dir, name)
            if capinfos:
                c = subprocess.run([capinfos, "-c", "-M", path], capture_output=True, text=True)
                m = re.search(r"Number of packets:\s+(\d+)", c.stdout)
                check(c.returncode == 0 and m and int(m.group(1)) > 3, f"capinfos reads {name}: {m and m.group(1)}")
            else:
                print(f"note: no capinfos on this machine: {name} checked for the pcapng magic only")
                with open(path, "rb") as f:
                    check(f.read(4) == b"\x0a\x0d\x0d\x0a", f"{name} is pcapng")
            with open(path, "rb") as f:
                data = f.read()
            other = "AG-KA-01" if "OP-ADD" in name else "AG-OP-ADD"
            check(name[:-7].encode() in data and other.encode() not in data, f"{name} holds that test only")

        # ---- blame where it belongs: console, JSON, JUnit and HTML name the same failed requirements
        with open(out["json"]) as f:
            res = json.load(f)
        json_fail = {o["id"] for t in res["tests"] for o in t["requirement_outcomes"] if o["outcome"] == "FAIL"}
        json_named = {r for t in res["tests"] for r in t["failed_requirements"]}
        check(json_fail == json_named and "VSM-6.3.2-ACK-OPTIONS" in json_fail,
              f"JSON: FAIL exactly where a check failed: {sorted(json_fail)}")
        console_fail = {line.split()[0] for line in console.splitlines()
                        if re.match(r"VSM-\S+\s+\S+\s+\d+\s+\d+\s+\d+\s+\d+\s+FAIL", line)}
        check(console_fail == json_fail, f"console table agrees: {sorted(console_fail)}")
        root = ET.parse(out["junit"]).getroot()
        junit_fail = {p.get("value").split()[0] for p in root.iter("property")
                      if p.get("name") == "requirement-outcome" and p.get("value").endswith(" FAIL")}
        check(junit_fail == json_fail, f"JUnit agrees: {sorted(junit_fail)}")
        with open(out["report"]) as f:
            page = f.read()
        html_fail = set(re.findall(r"<tr><td>(VSM-[^<]+)</td>(?:<td>[^<]*</td>){3}<td><span[^>]*>FAIL", page))
        check(html_fail == json_fail, f"HTML requirement table agrees: {sorted(html_fail)}")

        # ---- the HTML report, as a lab reads it
        check('<div class="banner" id="verdict"' in page and "FAIL: 1 test(s) failed" in page, "HTML: verdict banner")
        check("<th>result</th>" in page, "HTML: a result column per requirement")
        check(re.search(r"run started \(UTC\)</th><td>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", page) and "<th>host</th>" in
              page and "<th>duration</th>" in page and "draft-yokota-opsawg" in page, "HTML: date, host, duration")
        check(sha256(agent_profile) in page, "HTML: SHA-256 of the profile")
        for suite in res["suite_files"]:
            check(suite["sha256"] == sha256(suite["path"]) and suite["sha256"] in page,
                  f"HTML and JSON: SHA-256 of {os.path.basename(suite['path'])}")
        check(res["suite_hash"].startswith("sha256:") and "fnv" not in page, "suite hash is SHA-256")
        for path in (out["pcap"], os.path.join(ev_dir, "AG-OP-ADD.pcapng")):
            check(sha256(path) in page, f"HTML: SHA-256 of the evidence {os.path.basename(path)}")
        check('href="ev/AG-OP-ADD.pcapng"' in page, "HTML: links to the evidence, relative to the report")
        check("other role" in page and "not run" not in page.replace("not run (not selected)", ""),
              "HTML: requirements only of the manager suite say 'other role'")
        check("Not claimed (the profile's PICS)" in page and "Not observable on the wire" in page and
              "AG-SCTP-01 (other transport)" in page, "HTML: NA split by reason; not observable listed")
        svgs = re.findall(r"<svg.*?</svg>", page, re.S)
        check(len(svgs) == 2, "HTML: one ladder per test run")
        failing = [s for s in svgs if 'class="failing"' in s]
        check(len(failing) == 1 and "\u2717 [VSM-6.3.2-ACK-OPTIONS]" in failing[0] and
              "\u2717 failing message" in page, "HTML: the failing message marked in its ladder, with the finding")
        for s in svgs:
            bad = overlaps(boxes_of(s))
            check(not bad, f"ladder labels overlap neither each other nor an arrowhead: {bad[:3]}")
            width = int(re.search(r'<svg[^>]* width="(\d+)"', s).group(1))
            check(all(b[2] <= width for b in boxes_of(s)), "ladder: every label inside the SVG")

        # ---- --rerun-failed: only the failure of the first run, now against the good agent
        p = run(*agent_run, "--rerun-failed", out["json"], code=0)
        ran = re.findall(r"^\[\s*\d+/(\d+)\] \S+\s+(\S+)", p.stdout, re.M)
        check(ran == [("1", "AG-OP-ADD")], f"--rerun-failed runs only the failed test: {ran}")
        good = os.path.join(tmp, "good.json")
        run(*agent_run, "--test", "AG-KA-01", "--json", good, code=0)
        p = run(*agent_run, "--rerun-failed", good, code=0)
        check("nothing to rerun" in p.stdout, "--rerun-failed of a run without failures: nothing to rerun")
        run(*agent_run, "--rerun-failed", os.path.join(tmp, "missing.json"), code=2)

        # ---- --quiet and --tap -: TAP alone on stdout
        p = run(*agent_run, "--test", "AG-KA-01", "--quiet", "--tap", "-", code=0)
        lines = p.stdout.splitlines()
        check(lines[:2] == ["TAP version 14", "1..1"] and all(
            re.match(r"(ok|not ok) \d|  ", line) or line == "TAP version 14" or line == "1..1" for line in lines),
            "--quiet --tap -: TAP alone on stdout")
        p = run(*agent_run, "--test", "AG-KA-01", "--quiet", code=0)
        check(p.stdout == "", "--quiet: no console lines")
        p = run(*agent_run, "--test", "AG-KA-01", code=0)
        check("\033[" not in p.stdout, "no colour when stdout is not a terminal")
