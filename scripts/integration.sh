#!/usr/bin/env bash
# The integration suite (tox -e integration runs this from tests/): the
# independent modules in parallel on MINIK_TEST_WORKERS pytest-xdist workers
# (--dist loadfile: a module's tests share one instance, so they stay on one
# worker), then the serial group (tests/integration/conftest.py: SERIAL) one
# at a time, then the quiet group (QUIET there: light modules that must not run
# beside the parallel part's load) beside each other; modules in HOST_LOCKS hold
# a machine-wide lock instead of running alone. Every part always runs; the
# suite fails if any does.
#
# Every phase's durations, slowest first, go to $MINIK_TEST_ARTIFACTS (default .ci/artifacts)
# (durations-parallel.txt, durations-serial.txt, durations-quiet.txt; modules-*.txt beside them); the slowest 15 are printed, and each
# phase's wall time is appended to phases.txt there (scripts/test.sh prints it).
#
# With arguments, one plain pytest run of them instead (paths relative to tests/):
#   tox -e integration -- integration/e2e/test_cli.py
#   tox -e integration -- integration -n 4 --dist loadfile --no-loadscope-reorder -m 'not serial'
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# 4 workers on 2 cores: measured in fresh-clone CI runs (docs/testing.md), the parallel part took
# 465 s at -n 4 against 532 s at -n 3 once its longest-first order held; at -n 3 the cores sat
# 10-25 % idle while tests waited on containers and clocks.
workers=${MINIK_TEST_WORKERS:-4}
artifacts=${MINIK_TEST_ARTIFACTS:-${MINIK_ARTIFACTS:-$root/.ci/artifacts}}
mkdir -p "$artifacts"
# One run id for both phases and all their workers: the leftover checks look only at this run's objects.
export MINIK_TEST_RUN=${MINIK_TEST_RUN:-$(python3 -c 'import secrets; print(secrets.token_hex(3))')}
pytest=(python -m pytest -p no:cacheprovider --durations=15)

if [ $# -gt 0 ]; then
  exec "${pytest[@]}" --durations-file="$artifacts/durations.txt" "$@"
fi

phase() {
  local name=$1; shift
  local start=$SECONDS
  "${pytest[@]}" --durations-file="$artifacts/durations-$name.txt" "$@" "$root/tests/integration"
  local rc=$?
  [ "$rc" -eq 5 ] && rc=0  # nothing selected
  printf 'integration: %s part (%s) took %ss (exit %s)\n' "$name" "$*" $((SECONDS - start)) "$rc" \
    | tee -a "$artifacts/phases.txt" >&2
  return "$rc"
}

# --no-loadscope-reorder: keep the collection's longest-first module order (LONGEST_FIRST in
# tests/integration/conftest.py); xdist would otherwise order modules by their number of tests.
phase parallel -n "$workers" --dist loadfile --no-loadscope-reorder -m "not serial"
parallel=$?
phase serial -m "serial and not quiet"
serial=$?
phase quiet -n 3 --dist loadfile -m quiet
quiet=$?
echo "integration: durations in $artifacts" >&2
[ "$parallel" -eq 0 ] && [ "$serial" -eq 0 ] && [ "$quiet" -eq 0 ]
