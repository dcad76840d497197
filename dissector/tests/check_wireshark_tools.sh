#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs Wireshark's own dissector checkers on the plugin's sources:
#
#   check_wireshark_tools.sh WIRESHARK_SOURCE_SCRIPT FILE...
#
# tools/checkAPIs.pl (with the abort and termoutput groups, as Wireshark's
# pre-commit hook does for dissectors), tools/checkhf.pl and
# tools/checkfiltername.pl come from the Debian source of the installed
# Wireshark, unpacked by WIRESHARK_SOURCE_SCRIPT (shared/tools/wireshark-source)
# into a cache outside the clone: $VSM_CACHE_DIR (default /var/cache/vsm, or
# ~/.cache/vsm when that is not writable)/wireshark-src-<tshark version>. A
# cache without its completion stamp is removed and made again.
#
# Any output of a checker, or a non-zero exit, fails. Each checker must also
# complain about a copy of the first file with one hf entry broken, so a
# checker that silently reads nothing of our code cannot pass.
# Exit 77 (skip) with the reason when the source cannot be had.
set -uo pipefail

say() { printf 'check_wireshark_tools: %s\n' "$*"; }
fetch=${1:?usage: check_wireshark_tools.sh WIRESHARK_SOURCE_SCRIPT FILE...}
shift
[ $# -gt 0 ] || { say "no files to check"; exit 1; }

version=$(dpkg-query -W -f='${Version}' tshark 2>/dev/null) || { say "tshark is not installed"; exit 1; }
cache_root=${VSM_CACHE_DIR:-/var/cache/vsm}
if ! mkdir -p "$cache_root" 2>/dev/null || [ ! -w "$cache_root" ]; then
  cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/vsm
  mkdir -p "$cache_root" || exit 1
fi
cache=$cache_root/wireshark-src-$version
checkers=(checkAPIs.pl checkhf.pl checkfiltername.pl)

# One fetch at a time per cache (parallel test runs share it).
exec 9>"$cache.lock"
flock 9
complete() {
  [ -f "$cache/.complete" ] || return 1
  local c
  for c in "${checkers[@]}"; do [ -f "$cache/src/tools/$c" ] || return 1; done
}
if ! complete; then
  if [ ! -f "$fetch" ]; then
    echo "skip dissector.wireshark_checkers: $fetch is missing (shared/ is expected beside the clone), so no Wireshark $version source"
    exit 77
  fi
  [ -e "$cache" ] && say "removing the incomplete cache $cache"
  rm -rf "$cache"
  say "fetching the Debian source of Wireshark $version into $cache"
  start=$SECONDS
  if ! out=$(bash "$fetch" "$cache" 2>&1) || [ ! -f "$cache/src/tools/checkAPIs.pl" ]; then
    rm -rf "$cache"
    echo "skip dissector.wireshark_checkers: the Debian source of Wireshark $version cannot be had (no network or no deb-src access?): $(printf '%s' "$out" | tail -n 3 | tr '\n' ' ')"
    exit 77
  fi
  touch "$cache/.complete"
  say "fetched in $((SECONDS - start)) s"
fi
flock -u 9
tools=$cache/src/tools
say "checkers of Wireshark $version from $tools"

failures=0
run() {  # run NAME FILE: the checker's whole output, and its exit code
  local name=$1 file=$2
  case $name in
    checkAPIs.pl) perl "$tools/checkAPIs.pl" -g abort -g termoutput "$file" 2>&1 ;;
    *) perl "$tools/$name" "$file" 2>&1 ;;
  esac
}
for file in "$@"; do
  for c in "${checkers[@]}"; do
    out=$(run "$c" "$file")
    rc=$?
    if [ $rc -ne 0 ] || [ -n "$out" ]; then
      say "FAIL: $c $(basename "$file") (exit $rc):"
      printf '%s\n' "$out" | sed 's/^/    /'
      failures=$((failures + 1))
    else
      say "$c $(basename "$file"): clean"
    fi
  done
done

# Self-check on the first file holding an hf[] entry in Wireshark's form
# {&hf_x, {"Name", "proto.abbrev", ...}}: each checker must see it broken.
first=
for file in "$@"; do
  if grep -Eq '\{&hf_[A-Za-z0-9_]+, *\{"[^"]*", *"[a-z0-9_]+\.[^"]*"' "$file"; then
    first=$file
    break
  fi
done
if [ -z "$first" ]; then
  say "FAIL: no hf[] entry in Wireshark's form in $*: the checkers would read none of our fields"
  exit 1
fi
entry=$(grep -Eo -m1 '\{&hf_[A-Za-z0-9_]+, *\{"[^"]*", *"[a-z0-9_]+\.[^"]*"' "$first")
hf=$(printf '%s' "$entry" | sed -E 's/^\{&(hf_[A-Za-z0-9_]+),.*/\1/')
abbrev=$(printf '%s' "$entry" | sed -E 's/.*"([^"]*)"$/\1/')
proto=${abbrev%%.*}
rest=${abbrev#*.}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
copy=$work/$(basename "$first")  # checkfiltername.pl takes the protocol from the file name
mutate() {  # mutate SED-EXPR CHECKER EXPECTED-TEXT WHAT
  sed -E "$1" "$first" >"$copy"
  if cmp -s "$first" "$copy"; then
    say "FAIL: self-check could not break $4 in $(basename "$first")"
    failures=$((failures + 1))
  elif run "$2" "$copy" >"$work/out"; grep -q "$3" "$work/out"; then
    say "$2 self-check: complains about $4"
  else
    say "FAIL: $2 does not complain about $4: it does not read our hf[] entries"
    failures=$((failures + 1))
  fi
}
# The entry's line holds its abbreviation (the grep above matched one line).
mutate "/\{&$hf,/s/\"$abbrev\"/\"$proto..$rest\"/" checkAPIs.pl 'two or more sequential periods' "the abbreviation $proto..$rest"
mutate "s/\{&$hf,/{\&${hf}_unregistered,/" checkhf.pl "NO ARRAY: .*$hf" "$hf missing from hf[]"
mutate "/\{&$hf,/s/\"$abbrev\"/\"${proto}x.$rest\"/" checkfiltername.pl "doesn't match PROTOABBREV" "the abbreviation ${proto}x.$rest"

if [ $failures -ne 0 ]; then
  say "$failures failure(s)"
  exit 1
fi
say "OK"
