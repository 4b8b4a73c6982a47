#!/usr/bin/env bash
# Tools that tests call and npm does not install: promtool (Debian's `prometheus` package), which checks what
# GET /metrics serves. Installs a missing one with apt-get when running as root; safe to run again; says what
# it does on stderr and never fails the run: a test whose tool is still missing says so itself.
set -uo pipefail

say() { echo "ci-tools: $*" >&2; }

if command -v promtool >/dev/null 2>&1; then exit 0; fi
if [[ $EUID -ne 0 ]]; then
  say "promtool is missing and this is not root: install Debian's prometheus package for the metrics check"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  say "promtool is missing and there is no apt-get here: the metrics check cannot run"
  exit 0
fi

say "installing promtool (apt-get install prometheus)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
install_promtool() { apt-get install -y -qq --no-install-recommends prometheus >>"$log" 2>&1; }
# A fresh image has no package lists yet: fetch them once if the first attempt finds no such package.
if install_promtool || { apt-get update -qq >>"$log" 2>&1 && install_promtool; }; then
  if command -v promtool >/dev/null 2>&1; then
    say "promtool installed: $(command -v promtool)"
    exit 0
  fi
fi
say "could not install promtool; the last lines apt-get wrote:"
tail -n 5 "$log" >&2
exit 0
