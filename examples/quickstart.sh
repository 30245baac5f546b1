#!/usr/bin/env bash
# Quick start, command 1: install what is missing (Docker engine, images,
# minik), run the tutorial's Indexed Job, and show what the tutorial shows.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-docker.sh
bash scripts/ensure-images.sh
# The minik on PATH is used as it is only when it runs this checkout's code (an
# editable install of this directory). Any other, even of the same version
# (which says nothing about the code), is replaced by installing this checkout.
here=$(pwd -P)
package_of() {  # where the interpreter $1 imports minik from (run from / so that ./minik is not it)
  (cd / && $1 -c 'import os, minik; print(os.path.realpath(os.path.dirname(minik.__file__)))' 2>/dev/null)
}
path_python() { command -v minik >/dev/null 2>&1 && head -n 1 "$(command -v minik)" | sed -n 's|^#! *||p'; }
py=$(path_python || true)
if [ -z "$py" ] || [ "$(package_of "$py")" != "$here/minik" ]; then
  echo "quickstart: installing minik from $here …" >&2
  python3 -m pip install -q --disable-pip-version-check . 2>&1 | grep -v 'Running pip as the' >&2 || true
  hash -r
  py=$(path_python || true)
  if [ -z "$py" ] || [ "$(package_of "$py")" != "$(package_of python3)" ]; then
    echo "quickstart: another minik comes first on PATH ($(command -v minik || echo none)); using python3 -m minik" >&2
    minik() { python3 -P -m minik "$@"; }
  fi
fi
minik delete -f examples/indexed-job.yaml --ignore-not-found >/dev/null
minik apply -f examples/indexed-job.yaml
minik wait --for=condition=complete job/indexed-job --timeout=300s
minik describe job/indexed-job
minik logs job/indexed-job
