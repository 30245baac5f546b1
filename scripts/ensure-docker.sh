#!/usr/bin/env bash
# Make a Docker engine available for minik and its tests.
#
# - If `docker info` already answers, do nothing.
# - Else, as root on Debian: install Debian's docker.io (and the client), start
#   dockerd in the background with its log in $MINIK_DOCKERD_LOG
#   (default /var/log/minik-dockerd.log), and wait until the engine answers.
# - Else: say exactly what the user must do, and exit 1.
set -euo pipefail

log=${MINIK_DOCKERD_LOG:-/var/log/minik-dockerd.log}
wait_s=${MINIK_DOCKERD_WAIT:-60}

say() { printf 'ensure-docker: %s\n' "$*" >&2; }

# A bounded probe: a wedged dockerd can leave `docker info` hanging for good.
engine_up() { timeout 20 docker info >/dev/null 2>&1; }

# docker-compose (v1, Debian's) runs the compose-managed services of the
# tests (pytest-docker); install it alongside the engine when missing.
ensure_compose() {
  if ! command -v docker-compose >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && [ -r /etc/debian_version ]; then
    say "installing Debian's docker-compose …"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose >/dev/null \
      || { DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
           DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose >/dev/null; }
  fi
}

if command -v docker >/dev/null 2>&1 && engine_up; then
  ensure_compose
  say "Docker engine is answering ($(docker version --format '{{.Server.Version}}' 2>/dev/null))."
  exit 0
fi

if [ "$(id -u)" != 0 ] || [ ! -r /etc/debian_version ]; then
  say "No Docker engine answers, and this script can only install one as root on Debian."
  say "Install and start Docker (https://docs.docker.com/engine/install/), or set DOCKER_HOST"
  say "to a running engine, then run this script again."
  exit 1
fi

if ! command -v dockerd >/dev/null 2>&1; then
  say "installing Debian's docker.io …"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends docker.io iptables ca-certificates >/dev/null
fi
ensure_compose

if pgrep -x dockerd >/dev/null 2>&1 && ! engine_up; then
  # dockerd runs but does not answer (seen after long busy spells on Docker 20.10): restart it.
  say "dockerd runs but does not answer; restarting it …"
  pkill -x dockerd || true
  for _ in $(seq 1 20); do pgrep -x dockerd >/dev/null 2>&1 || break; sleep 1; done
  pkill -9 -x dockerd 2>/dev/null || true
  sleep 1
fi

if ! pgrep -x dockerd >/dev/null 2>&1; then
  say "starting dockerd (log: $log) …"
  # containerd is started by dockerd itself when no system containerd runs.
  nohup dockerd >>"$log" 2>&1 </dev/null &
fi

for _ in $(seq 1 "$wait_s"); do
  if engine_up; then
    say "Docker engine is answering ($(docker version --format '{{.Server.Version}}'))."
    exit 0
  fi
  sleep 1
done
say "dockerd did not answer within ${wait_s}s; its log ($log) ends with:"
tail -n 20 "$log" >&2 || true
exit 1
