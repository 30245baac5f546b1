#!/usr/bin/env bash
# The whole test suite, from a fresh clone on a fresh machine:
# installs tox and tox-uv if they are missing (tox-uv makes each env's virtualenv
# with uv: seconds instead of pip's minute per env), then runs tox's five envs:
# integration first, and lint, unit, fuzz and browser (`tox run-parallel`) once
# its parallel part is done, beside its serial group. The integration suite's
# parallel part keeps both cores busy (docker, runc and the kernel making
# containers), so CPU-bound envs beside it only stretch it; the serial group
# leaves cores idle (the 40-instance teardown and the engine restart mostly
# wait on dockerd), and the short envs fit there. Only the integration env uses
# Docker; fuzz holds its examples to CPU-time budgets, which load does not stretch.
# The integration env itself installs/starts the Docker engine and builds the
# offline stand-in images (scripts/ensure-docker.sh, scripts/ensure-images.sh).
#
# An env's output is printed in full when it fails; a passing env prints one
# line. Afterwards this prints each integration phase's wall time and its 15
# slowest test phases from $MINIK_TEST_ARTIFACTS (default .ci/artifacts), and
# every env's log stays in .tox/ENV/log/ (the integration env's whole output in
# $MINIK_TEST_ARTIFACTS/integration.log).
#
# With arguments, plain `tox ARGS` instead, one env after another with its
# output live: `bash scripts/test.sh -e unit`, `bash scripts/test.sh -e integration -- -x`.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c 'import tox, tox_uv' >/dev/null 2>&1 || python3 -m pip install -q 'tox>=4' 'tox-uv>=1.11'
if [ $# -gt 0 ]; then
  exec python3 -m tox "$@"
fi
artifacts=${MINIK_TEST_ARTIFACTS:-$PWD/.ci/artifacts}
export MINIK_TEST_ARTIFACTS=$artifacts
mkdir -p "$artifacts"
rm -f "$artifacts/phases.txt"
rc=0
start=$SECONDS
python3 -m tox -e integration >"$artifacts/integration.log" 2>&1 &
integration=$!
# The others start when the parallel part is over (scripts/integration.sh writes its line to
# phases.txt then), or at once if the integration env ends before it (a failed setup).
until grep -qs 'parallel part' "$artifacts/phases.txt" || ! kill -0 "$integration" 2>/dev/null; do
  sleep 2
done
python3 -m tox run-parallel -e lint,unit,fuzz,browser --parallel all --parallel-no-spinner || rc=$?
if wait "$integration"; then
  echo "integration: OK in $((SECONDS - start)) seconds"
else
  cat "$artifacts/integration.log"
  echo "integration: FAIL in $((SECONDS - start)) seconds"
  rc=1
fi
if [ -f "$artifacts/phases.txt" ]; then
  cat "$artifacts/phases.txt"
  for f in "$artifacts"/durations-*.txt; do
    [ -f "$f" ] || continue
    echo "== $(basename "$f"): $(head -1 "$f" | sed 's/^# //'); the 15 slowest:"
    sed -n 2,16p "$f"
  done
fi
exit "$rc"
