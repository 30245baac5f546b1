#!/usr/bin/env bash
# Make a headless Chromium available for the browser check of `minik timeline --html`
# (tox -e browser).
#
# - If $MINIK_CHROMIUM or `chromium` is already on PATH, do nothing.
# - Else, as root on Debian: install Debian's chromium package.
# - Else: say what the user must do, and exit 1.
set -euo pipefail

say() { printf 'ensure-chromium: %s\n' "$*" >&2; }

if [ -n "${MINIK_CHROMIUM:-}" ] && [ -x "${MINIK_CHROMIUM}" ]; then
  say "using $MINIK_CHROMIUM."
  exit 0
fi
if command -v chromium >/dev/null 2>&1; then
  say "chromium is installed ($(chromium --version 2>/dev/null || echo '?'))."
  exit 0
fi
if [ "$(id -u)" != 0 ] || [ ! -r /etc/debian_version ]; then
  say "No chromium found, and this script can only install one as root on Debian."
  say "Install Chromium (or Chrome) and set MINIK_CHROMIUM to its path, then run this again."
  exit 1
fi
say "installing Debian's chromium …"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null \
  || { apt-get update -qq >/dev/null &&
       apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null; }
say "chromium is installed ($(chromium --version 2>/dev/null || echo '?'))."
