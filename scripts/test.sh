#!/usr/bin/env bash
# The whole test suite, from a fresh clone on a fresh machine:
# installs tox if it is missing, then runs `tox` (lint, unit, integration, browser).
# The integration env itself installs/starts the Docker engine and builds the
# offline stand-in images (scripts/ensure-docker.sh, scripts/ensure-images.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m tox --version >/dev/null 2>&1 || python3 -m pip install -q 'tox>=4'
exec python3 -m tox "$@"
