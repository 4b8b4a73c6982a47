#!/usr/bin/env bash
# Tools that tests call and npm does not install: promtool (Debian's `prometheus` package), which checks what
# GET /metrics serves, and Debian's `chromium`, which the console's browser tests drive. Installs a missing one
# with apt-get when running as root; safe to run again; says what it does on stderr and never fails the run: a
# test whose tool is still missing says so itself.
set -uo pipefail

say() { echo "ci-tools: $*" >&2; }

log=$(mktemp)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
updated=0

# ensure <command> <debian package> <what it is for>
ensure() {
  local command=$1 package=$2 purpose=$3
  if command -v "$command" >/dev/null 2>&1; then return 0; fi
  if [[ $EUID -ne 0 ]]; then
    say "$command is missing and this is not root: install Debian's $package package for $purpose"
    return 0
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    say "$command is missing and there is no apt-get here: $purpose cannot run"
    return 0
  fi
  say "installing $command (apt-get install $package)"
  install() { apt-get install -y -qq --no-install-recommends "$package" >>"$log" 2>&1; }
  # A fresh image has no package lists yet: fetch them once if the first attempt finds no such package.
  if install || { [[ $updated -eq 0 ]] && updated=1 && apt-get update -qq >>"$log" 2>&1 && install; }; then
    if command -v "$command" >/dev/null 2>&1; then
      say "$command installed: $(command -v "$command")"
      return 0
    fi
  fi
  say "could not install $command; the last lines apt-get wrote:"
  tail -n 5 "$log" >&2
  return 0
}

ensure promtool prometheus "the metrics check"
ensure chromium chromium "the console's browser tests"
exit 0
