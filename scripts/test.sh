#!/usr/bin/env bash
# The whole test suite, from a fresh clone on a fresh machine:
# installs tox and tox-uv if they are missing (tox-uv makes each env's virtualenv
# with uv: seconds instead of pip's minute per env), then runs tox's lint, unit,
# fuzz, integration and browser envs at once (`tox run-parallel`): only the
# integration env uses Docker, the others are short and CPU-bound, so they run
# beside it instead of before it. tox builds the wheel once for all five.
# The integration env itself installs/starts the Docker engine and builds the
# offline stand-in images (scripts/ensure-docker.sh, scripts/ensure-images.sh).
#
# An env's output is printed in full when it fails; a passing env prints one
# line. Afterwards this prints each integration phase's wall time and its 15
# slowest test phases from $MINIK_TEST_ARTIFACTS (default .ci/artifacts) and when each
# worker ran its last test (modules-*.txt there lays each worker's modules out in time), and
# every env's log stays in .tox/ENV/log/.
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
python3 -m tox run-parallel --parallel all --parallel-no-spinner || rc=$?
if [ -f "$artifacts/phases.txt" ]; then
  cat "$artifacts/phases.txt"
  for f in "$artifacts"/durations-*.txt; do
    [ -f "$f" ] || continue
    echo "== $(basename "$f"): $(head -1 "$f" | sed 's/^# //'); the 15 slowest:"
    sed -n 2,16p "$f"
  done
  for f in "$artifacts"/modules-*.txt; do
    [ -f "$f" ] && echo "== $(basename "$f"): $(head -1 "$f" | sed 's/^# //')"
  done
fi
exit "$rc"
