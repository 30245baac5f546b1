#!/usr/bin/env bash
# Make the container images that minik's tests and examples use available in
# the local Docker engine.
#
# For each image: if the engine has it, skip it (a second run takes ~1 s).
# Otherwise pull it when a registry answers; when none does (as on an offline
# build machine) build an OFFLINE STAND-IN from Debian packages with
# `docker import` and tag it with the name the manifests use. The stand-ins
# are not the Docker Hub images: they carry just enough to run minik's
# examples and tests:
#   busybox:latest              busybox-static, every applet a symlink
#   bash:latest                 bash-static as /usr/local/bin/bash + busybox
#   registry.k8s.io/pause:3.10  catatonit -P (minik's pod sandbox)
#   python:3.11-slim            debootstrap --variant=minbase + python3 + python3-redis + redis-server
#   redis:latest                the same rootfs, CMD redis-server
#   busybox:1.36, alpine:3.20   tags of the busybox stand-in, for the real-world
#                               corpus files the integration suite runs end to end
# The Debian mirror for debootstrap is read from apt's own sources at run time.
set -euo pipefail

say() { printf 'ensure-images: %s\n' "$*" >&2; }
have() { docker image inspect "$1" >/dev/null 2>&1; }

PATH_ENV='PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
work=$(mktemp -d /tmp/minik-images.XXXXXX)
trap 'rm -rf "$work"' EXIT
offline=""

try_pull() {
  [ -n "$offline" ] && return 1
  if timeout "${MINIK_PULL_TIMEOUT:-20}" docker pull -q "$1" >/dev/null 2>&1; then
    say "pulled $1"
    return 0
  fi
  say "no registry answers for $1: building an offline stand-in"
  offline=1
  return 1
}

need_debs() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
      say "need Debian packages: ${missing[*]} (run as root, or install them)"; exit 1
    fi
    say "installing ${missing[*]} …"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

busybox_rootfs() {  # $1 = rootfs dir
  local root=$1
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,etc,tmp,root,proc,sys,dev,var/tmp}
  chmod 1777 "$root/tmp" "$root/var/tmp"
  cp /bin/busybox "$root/bin/busybox"
  # Every applet becomes a symlink to /bin/busybox, except the name busybox itself.
  /bin/busybox --list-full | while read -r applet; do
    [ "$(basename "$applet")" = busybox ] && continue
    mkdir -p "$root/$(dirname "$applet")"
    [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' >"$root/etc/group"
}

import_dir() {  # $1 = dir, $2 = tag, rest = --change args
  local dir=$1 tag=$2; shift 2
  tar -C "$dir" --numeric-owner -c . | docker import "$@" - "$tag" >/dev/null
  say "built offline stand-in $tag"
}

# --- busybox ---------------------------------------------------------------
if ! have busybox:latest && ! try_pull busybox:latest; then
  need_debs busybox-static
  busybox_rootfs "$work/busybox"
  import_dir "$work/busybox" busybox:latest --change "ENV $PATH_ENV" --change 'CMD ["sh"]'
fi
# Stand-ins for the tags the real-world corpus uses (tests/integration/e2e/test_realworld_run.py);
# alpine's shell commands there are busybox's too.
for tag in busybox:1.36 alpine:3.20; do
  if ! have "$tag" && ! try_pull "$tag"; then
    docker tag busybox:latest "$tag"
    say "tagged offline stand-in $tag (the busybox stand-in)"
  fi
done

# --- bash ------------------------------------------------------------------
if ! have bash:latest && ! try_pull bash:latest; then
  need_debs busybox-static bash-static
  busybox_rootfs "$work/bash"
  cp /bin/bash-static "$work/bash/usr/local/bin/bash"
  import_dir "$work/bash" bash:latest --change "ENV $PATH_ENV" --change 'CMD ["bash"]'
fi

# --- pause (pod sandbox) ---------------------------------------------------
pause=${MINIK_PAUSE_IMAGE:-registry.k8s.io/pause:3.10}
if ! have "$pause" && ! try_pull "$pause"; then
  need_debs catatonit
  mkdir -p "$work/pause"
  cp /usr/bin/catatonit "$work/pause/catatonit"
  import_dir "$work/pause" "$pause" --change 'ENTRYPOINT ["/catatonit", "-P"]'
fi

# --- python + redis (work-queue example) -----------------------------------
debian_mirror() {
  local m=""
  if compgen -G '/etc/apt/sources.list.d/*.sources' >/dev/null; then
    m=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources)
  fi
  if [ -z "$m" ] && [ -r /etc/apt/sources.list ]; then
    m=$(awk '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i ~ /^(https?|file):/) {print $i; exit}}' /etc/apt/sources.list)
  fi
  [ -n "$m" ] || { say "no Debian mirror found in apt's sources"; exit 1; }
  printf '%s\n' "$m"
}

# The python stand-in carries redis-py (Debian's python3-redis) for the work-queue
# worker; a stand-in built before it did (no minik.standin.redis-py label) is rebuilt.
base=minik-standin/debian-python-redis:bookworm-redispy
have_python() {
  have python:3.11-slim || return 1
  local labels
  labels=$(docker image inspect -f '{{index .Config.Labels "minik.standin"}}/{{index .Config.Labels "minik.standin.redis-py"}}' python:3.11-slim)
  [ "$labels" != "true/" ] || { say "the python stand-in lacks redis-py: rebuilding it"; return 1; }
}
need_base=""
have_python || try_pull python:3.11-slim || need_base=1
have redis:latest || try_pull redis:latest || need_base=1
if [ -n "$need_base" ] && ! have "$base"; then
  need_debs debootstrap
  mirror=$(debian_mirror)
  say "debootstrap bookworm (minbase + python3 + python3-redis + redis-server) from $mirror …"
  debootstrap --variant=minbase --include=python3,python3-redis,redis-server bookworm \
    "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 20 "$work/debootstrap.log" >&2; exit 1; }
  rm -rf "$work/rootfs"/var/cache/apt/archives/*.deb "$work/rootfs"/var/lib/apt/lists/*
  import_dir "$work/rootfs" "$base" --change "ENV $PATH_ENV" --change 'CMD ["bash"]'
fi
build_from_base() {  # $1 = tag, $2 = CMD json
  printf 'FROM %s\nLABEL minik.standin=true minik.standin.redis-py=true\nCMD %s\n' "$base" "$2" \
    | DOCKER_BUILDKIT=0 docker build -q -t "$1" - >/dev/null 2>"$work/build.err" \
    || { cat "$work/build.err" >&2; exit 1; }
  say "built offline stand-in $1"
}
have_python || build_from_base python:3.11-slim '["python3"]'
have redis:latest || build_from_base redis:latest '["redis-server", "--protected-mode", "no"]'

say "images ready"
