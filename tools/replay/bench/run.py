#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""vsm-replay benchmark (not a test): one run compares, on a generated capture
of clean VSM traffic over many TCP connections,

  vsm-replay check FILE            (the tool)
  tshark -r FILE -Y vsm            (with the freshly built VSM plugin)
  tcpdump -r FILE -w /dev/null     (the floor: reading the file)

and prints wall times, the ratios (targets: >= 20x faster than tshark, <= 2x
the tcpdump floor) and peak RSS for two file sizes (memory must stay flat).

  tools/replay/bench/run.py [--build build/he] [--sizes 1024,2048] [--connections 2000] [--keep]

Builds vsm-replay and vsm-replay-benchgen in the build folder if needed; the
captures go to /tmp (about 3 GB with the default sizes) and are removed after.
Needs tcpdump (apt-get install tcpdump) and tshark."""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time


def measure(cmd, env=None):
    """Wall seconds and peak RSS (MB) of one command, output discarded."""
    start = time.monotonic()
    with open(os.devnull, "wb") as null:
        p = subprocess.Popen(cmd, stdout=null, stderr=subprocess.PIPE, env=env)
        _, status, usage = os.wait4(p.pid, 0)
        err = p.stderr.read().decode(errors="replace")
        p.stderr.close()
    wall = time.monotonic() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        print("  warning: %s exited %d: %s" % (cmd[0], code, err.strip()[:300]))
    return wall, usage.ru_maxrss / 1024.0


def best_of(n, cmd, env=None):
    runs = [measure(cmd, env) for _ in range(n)]
    return min(r[0] for r in runs), max(r[1] for r in runs)


def tshark_command(build, capture):
    """tshark with the plugin in a temporary personal plugin folder (as tools/tshark-vsm does, without copying
    the capture): as root it runs as nobody, who must be able to read the file."""
    plugin = os.path.join(build, "dissector", "vsm.so")
    if not os.path.exists(plugin):
        sys.exit("no plugin at %s: cmake --build %s --target vsm_wireshark" % (plugin, build))
    abi = ".".join(subprocess.run(["pkg-config", "--modversion", "wireshark"], capture_output=True,
                                  text=True).stdout.strip().split(".")[:2])
    home = tempfile.mkdtemp(prefix="vsm-bench-tshark.")
    dest = os.path.join(home, ".local", "lib", "wireshark", "plugins", abi, "epan")
    os.makedirs(dest)
    shutil.copy(plugin, dest)
    cmd = ["tshark", "-r", capture, "-Y", "vsm"]
    if os.getuid() == 0:
        subprocess.run(["chmod", "-R", "a+rX", home], check=True)
        os.chmod(capture, 0o644)
        cmd = ["runuser", "-u", "nobody", "--", "env", "HOME=" + home] + cmd
        return cmd, None, home
    env = dict(os.environ, HOME=home)
    return cmd, env, home


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    ap.add_argument("--build", default=os.path.join(root, "build", "default"))
    ap.add_argument("--sizes", default="1024,2048", help="capture sizes in MB (tshark runs on the first)")
    ap.add_argument("--connections", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=2, help="runs of the fast tools (best time kept)")
    ap.add_argument("--keep", action="store_true", help="keep the captures in /tmp")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    for tool in ["tcpdump", "tshark"]:
        if shutil.which(tool) is None:
            sys.exit("%s not found (apt-get install %s)" % (tool, tool))
    subprocess.run(["cmake", "--build", build, "-j2", "--target", "vsm-replay", "vsm-replay-benchgen",
                    "vsm_wireshark"], check=True, stdout=subprocess.DEVNULL)
    replay = os.path.join(build, "tools", "replay", "vsm-replay")
    gen = os.path.join(build, "tools", "replay", "vsm-replay-benchgen")

    sizes = [int(s) for s in args.sizes.split(",")]
    results = []
    for i, mb in enumerate(sizes):
        capture = "/tmp/vsm-replay-bench-%dM.pcap" % mb
        print(subprocess.run([gen, str(mb), str(args.connections), capture], check=True, capture_output=True,
                             text=True).stdout.strip())
        size = os.path.getsize(capture)
        subprocess.run(["cat", capture], stdout=subprocess.DEVNULL, check=True)  # warm the page cache
        row = {"mb": size / 2**20}
        row["tcpdump"] = best_of(args.repeat, ["tcpdump", "-r", capture, "-w", "/dev/null"])
        row["replay"] = best_of(args.repeat, [replay, "check", "--quiet", "--no-progress", capture])
        if i == 0:
            cmd, env, home = tshark_command(build, capture)
            print("  tshark on %.0f MB (takes a while)..." % row["mb"])
            row["tshark"] = measure(cmd, env)
            shutil.rmtree(home, ignore_errors=True)
        results.append(row)
        if not args.keep:
            os.remove(capture)

    print()
    print("%-10s %14s %14s %14s %12s %12s" % ("capture", "vsm-replay", "tcpdump", "tshark -Y vsm", "vs tshark",
                                              "vs tcpdump"))
    for r in results:
        rw, rm = r["replay"]
        tw, tm = r["tcpdump"]
        line = "%-10s %7.2fs %4.0fMB %7.2fs %4.0fMB " % ("%.0f MB" % r["mb"], rw, rm, tw, tm)
        if "tshark" in r:
            sw, sm = r["tshark"]
            line += "%7.1fs %5.0fMB %10.1fx %11.2fx" % (sw, sm, sw / rw, rw / tw)
        else:
            line += "%14s %12s %11.2fx" % ("-", "-", rw / tw)
        print(line)
    print()
    first = results[0]
    print("throughput: vsm-replay check %.0f MB/s, tcpdump %.0f MB/s" %
          (first["mb"] / first["replay"][0], first["mb"] / first["tcpdump"][0]))
    if "tshark" in first:
        print("vsm-replay check vs tshark -Y vsm: %.1fx faster (target >= 20x)" %
              (first["tshark"][0] / first["replay"][0]))
    print("vsm-replay check vs tcpdump floor: %.2fx the time (target <= 2x)" % (first["replay"][0] / first["tcpdump"][0]))
    if len(results) > 1:
        print("vsm-replay peak RSS: %s (flat as the file grows)" %
              ", ".join("%.0f MB at %.0f MB" % (r["replay"][1], r["mb"]) for r in results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
