#!/usr/bin/env bash
# Quick start, command 1: install what is missing (Docker engine, images,
# minik), run the tutorial's Indexed Job, and show what the tutorial shows.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-docker.sh
bash scripts/ensure-images.sh
if ! command -v minik >/dev/null 2>&1 || [ "$(minik --version)" != "minik $(python3 -c 'import re;print(re.search(r"__version__ = \"(.*)\"", open("minik/__init__.py").read())[1])')" ]; then
  echo "quickstart: installing minik …" >&2
  python3 -m pip install -q --disable-pip-version-check . 2>&1 | grep -v 'Running pip as the' >&2 || true
fi
minik delete -f examples/indexed-job.yaml --ignore-not-found >/dev/null
minik apply -f examples/indexed-job.yaml
minik wait --for=condition=complete job/indexed-job --timeout=300s
minik describe job/indexed-job
minik logs job/indexed-job
