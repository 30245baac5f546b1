#!/usr/bin/env bash
# README command 1 the way a newcomer runs it: a fresh clone of this
# repository in a temporary directory, a fresh virtualenv first on PATH, a
# fresh MINIK_HOME, `bash examples/quickstart.sh` from the clone's root.
# Fails unless it prints the tutorial's five index logs (oof rab zab xuq zyx)
# in order, or unless the minik it ran is the clone's (installed into the fresh
# virtualenv: a minik already on PATH must not stand in for the clone's code).
# Removes the instance (`minik server delete`) and the clone after, whichever
# minik is left to do it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/minik-newcomer.XXXXXX")
say() { printf 'newcomer: %s\n' "$*" >&2; }

cleanup() {
  local m
  for m in "$tmp/venv/bin/minik" "$(command -v minik || true)"; do
    if [ -n "$m" ] && [ -x "$m" ] && [ -d "$tmp/home" ]; then
      (cd "$tmp" && MINIK_HOME="$tmp/home" "$m" server delete >/dev/null 2>&1) || true
    fi
  done
  if [ -d "$tmp/home" ]; then
    say "WARNING: could not delete the instance in $tmp/home"
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

git clone -q "$root" "$tmp/clone"
python3 -m venv "$tmp/venv"
export PATH="$tmp/venv/bin:$PATH" MINIK_HOME="$tmp/home"
unset PYTHONPATH VIRTUAL_ENV MINIK_TIME_SCALE
say "fresh clone $tmp/clone, virtualenv $tmp/venv, MINIK_HOME=$MINIK_HOME"
cd "$tmp/clone"
start=$(date +%s)
bash examples/quickstart.sh 2>&1 | tee "$tmp/out"
if [ ! -x "$tmp/venv/bin/minik" ] || [ "$(command -v minik)" != "$tmp/venv/bin/minik" ]; then
  say "FAILED: README command 1 ran $(command -v minik || echo 'no minik'), not the clone's (expected $tmp/venv/bin/minik)"
  exit 1
fi
got=$(sed -n 's|^\[pod/indexed-job-\([0-4]\)-[^/]*/worker\] \(.*\)$|\1 \2|p' "$tmp/out" | tr '\n' ' ')
want="0 oof 1 rab 2 zab 3 xuq 4 zyx "
if [ "$got" != "$want" ]; then
  say "FAILED: README command 1 printed index logs '$got', expected '$want'"
  exit 1
fi
say "README command 1 printed the five index logs from a fresh clone in $(( $(date +%s) - start ))s"
