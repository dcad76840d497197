#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Checks a Debian package of the plugin on the machine (or chroot) it runs on:
#
#   check_package.sh [--marker FILE] PACKAGE.deb TRACE.pcapng
#   check_package.sh --cleanup FILE
#
# Reads the package's control fields and contents, installs it with
# `apt-get install ./PACKAGE.deb`, checks that tshark (as root: global plugins
# only) lists vsm.so as a dissector from the package's path and decodes TRACE
# with VSM PDUs and nothing malformed, then purges the package, whatever
# happened (trap). Needs root (exits 77, skipped, otherwise), tshark, apt-get
# and dpkg.
#
# --marker FILE is created just before the install and removed after the purge;
# `--cleanup FILE` purges the package only if FILE is still there (the ctest
# cleanup fixture, for a run killed before its trap could run). A package that
# was installed before this script started is not touched: the script stops.
set -uo pipefail

say() { printf 'check_package: %s\n' "$*"; }
failures=0
fail() {
  say "FAIL: $*"
  failures=$((failures + 1))
}

# apt-get, its output shown only when it fails.
apt_quiet() {
  local log rc
  log=$(mktemp)
  DEBIAN_FRONTEND=noninteractive apt-get -qq "$@" >"$log" 2>&1
  rc=$?
  [ $rc -eq 0 ] || sed 's/^/    apt-get: /' "$log"
  rm -f "$log"
  return $rc
}

marker=
if [ "${1:-}" = --cleanup ]; then
  marker=${2:?--cleanup needs the marker file}
  if [ -f "$marker" ]; then
    pkg=$(cat "$marker")
    say "purging $pkg left installed by an interrupted run"
    apt_quiet purge -y "$pkg" || exit 1
    rm -f "$marker"
  fi
  exit 0
fi
if [ "${1:-}" = --marker ]; then
  marker=${2:?--marker needs a file}
  shift 2
fi
deb=${1:?usage: check_package.sh [--marker FILE] PACKAGE.deb TRACE.pcapng}
trace=${2:?usage: check_package.sh [--marker FILE] PACKAGE.deb TRACE.pcapng}

if [ "$(id -u)" -ne 0 ]; then
  echo "skip dissector.package: check_package.sh installs a package, which needs root"
  exit 77
fi
for tool in tshark apt-get dpkg dpkg-deb ldd; do
  command -v "$tool" >/dev/null || { say "$tool is not installed"; exit 1; }
done
[ -f "$deb" ] || { say "no package $deb"; exit 1; }
[ -f "$trace" ] || { say "no trace $trace"; exit 1; }
deb=$(readlink -f "$deb")

# The Debian package owning a file; with merged /usr the same file may be
# registered under /lib or /usr/lib.
owner() {
  local p=$1 q
  for q in "$p" "$(readlink -f "$p")" "${p#/usr}" "/usr$p"; do
    dpkg-query -S "$q" 2>/dev/null | sed -n '1s/:.*//p' | grep . && return 0
  done
  return 1
}

# --- the package itself, before installing it
pkg=$(dpkg-deb -f "$deb" Package)
version=$(dpkg-deb -f "$deb" Version)
depends=$(dpkg-deb -f "$deb" Depends)
say "$(basename "$deb"): $pkg $version"
say "Depends: $depends"
for field in Maintainer Description Section Architecture; do
  [ -n "$(dpkg-deb -f "$deb" "$field")" ] || fail "control field $field is missing"
done
dpkg-deb -f "$deb" Description | grep -q 'License: GPL-2.0-or-later' || fail "the description does not state the license"

# The Wireshark this machine runs: its release (X.Y) and libwireshark package.
ws_version=$(tshark --version 2>/dev/null | sed -n '1s/^TShark (Wireshark) \([0-9]*\.[0-9]*\)\..*/\1/p')
[ -n "$ws_version" ] || { say "cannot read tshark's version"; exit 1; }
libws=$(ldd "$(command -v tshark)" | awk '$1 ~ /^libwireshark\.so/ {print $3; exit}')
libws_pkg=$(owner "$libws") || { say "no package owns $libws"; exit 1; }
say "tshark $ws_version, $libws from $libws_pkg"
case "$version" in
  *+ws"$ws_version") ;;
  *) fail "version $version is not for Wireshark $ws_version (+ws$ws_version)" ;;
esac
case ", $depends" in
  *", $libws_pkg "* | *", $libws_pkg,"* | *", $libws_pkg") ;;
  *) fail "Depends does not name $libws_pkg" ;;
esac

files=$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $NF}' | sed 's|^\./|/|')
plugin_re="^/.*/wireshark/plugins/$ws_version/epan/vsm\.so\$"
if [ "$(printf '%s\n' "$files" | grep -c .)" -ne 1 ] || ! printf '%s\n' "$files" | grep -Eq "$plugin_re"; then
  fail "the package must hold only .../wireshark/plugins/$ws_version/epan/vsm.so, it holds: $(echo $files)"
fi
plugin_path=$(printf '%s\n' "$files" | head -n1)

if [ "$failures" -ne 0 ]; then
  say "$failures problem(s) with the package: not installing it"
  exit 1
fi

# --- install, check, and always purge
if dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null | grep -qx installed; then
  say "$pkg is already installed: purge it first (apt-get purge $pkg); this check removes only what it installed"
  exit 1
fi
purge() {
  say "purging $pkg"
  apt_quiet purge -y "$pkg" || say "FAIL: apt-get purge $pkg failed"
  if dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null | grep -qx installed; then
    say "FAIL: $pkg is still installed"
    exit 1
  fi
  if [ -n "$marker" ]; then rm -f "$marker"; fi
}
trap purge EXIT
trap 'exit 1' INT TERM HUP
if [ -n "$marker" ]; then printf '%s\n' "$pkg" >"$marker"; fi
if ! apt_quiet install -y --no-install-recommends "$deb"; then
  say "FAIL: apt-get install $deb failed"
  exit 1
fi
say "installed with apt-get (${SECONDS} s since start)"
[ -f "$plugin_path" ] || fail "$plugin_path is not there after the install"

# tshark -G plugins: name (padded with spaces), version, type, path, separated by tabs.
line=$(tshark -G plugins 2>/dev/null | awk -F'\t' -v OFS='\t' '{for (i = 1; i <= NF; i++) gsub(/^ +| +$/, "", $i)} $1 == "vsm.so"')
say "tshark -G plugins: ${line:-(no vsm.so)}"
IFS=$'\t' read -r p_name p_version p_type p_path <<<"$line"
[ "${p_name:-}" = vsm.so ] || fail "tshark does not list vsm.so"
[ "${p_type:-}" = dissector ] || fail "vsm.so is listed with type '${p_type:-}', not 'dissector'"
[ "${p_path:-}" = "$plugin_path" ] || fail "vsm.so is loaded from '${p_path:-}', not from the package's $plugin_path"
[ "${p_version:-}" = "${version%%+ws*}" ] || fail "the plugin reports version '${p_version:-}', the package is ${version%%+ws*}"

# The trace decodes: VSM PDUs, nothing malformed, nothing on stderr.
err=$(mktemp)
pdus=$(tshark -n -r "$trace" -T fields -e vsm.type 2>"$err" | tr ',' '\n' | grep -c .)
malformed=$(tshark -n -r "$trace" -Y '_ws.malformed || _ws.expert.severity == error' 2>>"$err" | grep -c .)
# As root tshark always warns that running as root could be dangerous.
grep -v '^Running as user "root" and group "root"\. This could be dangerous\.$' "$err" >"$err.rest"
[ -s "$err.rest" ] && fail "tshark -r printed to stderr: $(head -c 400 "$err.rest")"
rm -f "$err" "$err.rest"
say "$(basename "$trace"): $pdus VSM PDUs, $malformed frames malformed or with errors"
[ "$pdus" -gt 0 ] || fail "no VSM PDU decoded in $trace"
[ "$malformed" -eq 0 ] || fail "$malformed frames of $trace are malformed or carry an error"

if [ "$failures" -ne 0 ]; then
  say "$failures problem(s)"
  exit 1
fi
say "OK after $SECONDS s (the purge follows)"
exit 0
