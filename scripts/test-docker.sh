#!/usr/bin/env bash
# Provision two real Docker engines (plus buildx) for uvcache-tui's tests and CI.
#
#   modern: Debian sid's docker.io (28.5.x, API 1.51) + sid's docker-buildx (0.29.x)
#   legacy: Debian 12's docker.io (20.10.24, API 1.41) + trixie's docker-buildx (0.13.1)
#
# Both engines run on Debian 12's containerd/runc (each dockerd starts its own
# managed containerd under its exec-root), without a bridge network or iptables:
# builds must pass `--network none`.  No container registry is needed: the images
# are imported from a debootstrap'ed Debian 12 rootfs (+ uv from PyPI's wheel) and
# from busybox-static.
#
# Usage: scripts/test-docker.sh start|stop|env|status|verify|record-fixtures [DIR]
#   start            provision what is missing, start engines that are not running,
#                    import the images, write $UVCT_DOCKER_RUN/env (idempotent)
#   stop             stop the engines started here (and their managed containerd)
#   env              print the env file path
#   status           print whether each engine answers
#   verify           real cache-mount build (`docker build --network none`, i.e. the
#                    engine's own buildx) on both engines, checks `buildx du` shows its
#                    exec.cachemount record and that a container runs; removes only its
#                    own records afterwards (safe while tests use the engines)
#   record-fixtures  record parser fixtures into DIR (default tests/fixtures/buildkit) on a
#                    dedicated, throwaway engine pair under ${UVCT_DOCKER_RUN}-fixtures
#
# Env file ($UVCT_DOCKER_RUN/env, `export KEY=VALUE` lines): UVCT_MODERN_HOST,
# UVCT_LEGACY_HOST, UVCT_{MODERN,LEGACY,MULTI}_DOCKER_CONFIG, UVCT_{MODERN,LEGACY}_CONTEXT,
# UVCT_BASE_IMAGE, UVCT_BUSYBOX_IMAGE, UVCT_DOCKER_BIN, UVCT_{MODERN,LEGACY}_API_VERSION.
# The MULTI config holds docker contexts uvct-modern (current) and uvct-legacy and the
# modern buildx; a docker-driver builder of another context is reached with
# `docker --context <name> buildx ...` (not `--builder <name>`).
#
# Environment:
#   UVCT_DOCKER_CACHE  persistent download/image cache
#                      (default ${HOME}/.cache/uvcache-tui-test-docker)
#   UVCT_DOCKER_RUN    runtime state: sockets, pidfiles, data roots, logs, env file
#                      (default /tmp/uvcache-tui-docker)
#   UVCT_DOCKER_BIN    docker CLI to use (default: `docker` on PATH; if none, sid's docker-cli)
#   UVCT_DEBIAN_MIRROR Debian mirror URI (default: read from the apt sources at run time)
#   UVCT_DOCKER_START_TIMEOUT  seconds to wait for an engine (default 60)
set -Eeuo pipefail

CACHE="${UVCT_DOCKER_CACHE:-${HOME:-/root}/.cache/uvcache-tui-test-docker}"
RUN="${UVCT_DOCKER_RUN:-/tmp/uvcache-tui-docker}"
START_TIMEOUT="${UVCT_DOCKER_START_TIMEOUT:-60}"
UV_VERSION=0.13.9
BASE_IMAGE=uvct-base:latest
BUSYBOX_IMAGE=uvct-busybox:latest
ROLES=(modern legacy)
# suite each role's packages come from
MODERN_ENGINE_SUITE=sid
MODERN_BUILDX_SUITE=sid
LEGACY_ENGINE_SUITE=bookworm
LEGACY_BUILDX_SUITE=trixie
SYSTEM_PACKAGES=(containerd runc debootstrap busybox-static tini libdevmapper1.02.1)
ENGINE_PATH_TAIL=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
IMAGE_PATH_ENV='ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

SCRIPT_T0=$EPOCHREALTIME

log() { printf '[test-docker] %s\n' "$*" >&2; }
die() {
  printf '[test-docker] ERROR: %s\n' "$*" >&2
  exit 1
}
trap 'rc=$?; printf "[test-docker] ERROR: command failed (exit %s) at line %s: %s\n" "$rc" "$LINENO" "$BASH_COMMAND" >&2; exit "$rc"' ERR

since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1fs", b - a }'; }

# ---------------------------------------------------------------- helpers

retry() { # retry N cmd...
  local n=$1 i
  shift
  for ((i = 1; i <= n; i++)); do
    "$@" && return 0
    ((i < n)) && { log "retrying ($i/$n): $*"; sleep $((i * 2)); }
  done
  return 1
}

mirror_uri() {
  if [[ -n "${UVCT_DEBIAN_MIRROR:-}" ]]; then
    printf '%s\n' "$UVCT_DEBIAN_MIRROR"
    return
  fi
  local uri=""
  if [[ -r /etc/apt/sources.list.d/debian.sources ]]; then
    # deb822: first stanza whose Suites are not *-security
    uri=$(awk 'BEGIN { RS = ""; FS = "\n" }
      { u = ""; s = ""
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/) { v = $i; sub(/^URIs:[ \t]*/, "", v); u = v }
          if ($i ~ /^Suites:/) { v = $i; sub(/^Suites:[ \t]*/, "", v); s = v }
        }
        if (u != "" && s != "" && s !~ /security/) { split(u, a, /[ \t]+/); print a[1]; exit } }' \
      /etc/apt/sources.list.d/debian.sources)
  fi
  if [[ -z "$uri" && -r /etc/apt/sources.list ]]; then
    uri=$(awk '$1 == "deb" && $0 !~ /security/ {
        for (i = 2; i <= NF; i++) if ($i ~ /^[a-z+]+:\/\//) { print $i; exit } }' /etc/apt/sources.list)
  fi
  [[ -n "$uri" ]] || die "cannot read the Debian mirror URI from /etc/apt/sources.list.d/debian.sources (set UVCT_DEBIAN_MIRROR)"
  printf '%s\n' "$uri"
}

docker_bin() {
  if [[ -n "${UVCT_DOCKER_BIN:-}" ]]; then
    printf '%s\n' "$UVCT_DOCKER_BIN"
  elif command -v docker >/dev/null 2>&1; then
    command -v docker
  else
    local f
    f=$(find "$CACHE/tools" -maxdepth 4 -path '*/docker-cli_*/usr/bin/docker' 2>/dev/null | sort -V | tail -n 1)
    [[ -n "$f" && -x "$f" ]] || return 1
    printf '%s\n' "$f"
  fi
}

sock_of() { printf '%s/%s.sock\n' "$RUN" "$1"; }
host_of() { printf 'unix://%s\n' "$(sock_of "$1")"; }
pidfile_of() { printf '%s/%s.pid\n' "$RUN" "$1"; }
config_of() { printf '%s/config/%s\n' "$RUN" "$1"; }

# docker CLI against one engine, with that engine's DOCKER_CONFIG (its buildx)
dk() { # dk ROLE args...
  local role=$1
  shift
  env -u DOCKER_CONTEXT DOCKER_CONFIG="$(config_of "$role")" DOCKER_HOST="$(host_of "$role")" \
    "$DOCKER" "$@"
}

engine_answers() { # engine_answers ROLE
  [[ -S "$(sock_of "$1")" ]] || return 1
  DOCKER_CONFIG="$(config_of "$1")" timeout 10 "${DOCKER:-docker}" -H "$(host_of "$1")" \
    version >/dev/null 2>&1
}

pid_alive_cmd() { # pid_alive_cmd PID SUBSTRING: process alive and its cmdline contains SUBSTRING
  local pid=$1 want=$2 cmd
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ "$cmd" == *"$want"* ]]
}

# ---------------------------------------------------------------- provisioning

ensure_system_packages() {
  local missing=() p
  for p in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  local t=$EPOCHREALTIME
  log "installing system packages: ${missing[*]}"
  retry 3 apt-get update -q >"$RUN/logs/apt-system.log" 2>&1 ||
    die "apt-get update failed (see $RUN/logs/apt-system.log)"
  DEBIAN_FRONTEND=noninteractive retry 3 apt-get install -y -q --no-install-recommends \
    "${missing[@]}" >>"$RUN/logs/apt-system.log" 2>&1 ||
    die "apt-get install ${missing[*]} failed (see $RUN/logs/apt-system.log)"
  log "system packages installed in $(since "$t")"
}

apt_opts() { # apt_opts SUITE -> private apt options for that suite
  local d="$CACHE/apt/$1"
  printf '%s\n' \
    -o "Dir::State::Lists=$d/lists" \
    -o "Dir::Etc::SourceList=$d/sources.list" \
    -o "Dir::Etc::SourceParts=/dev/null" \
    -o "Dir::Cache=$d/cache" \
    -o "Dir::State::status=/dev/null" \
    -o "APT::Sandbox::User=root" \
    -o "Acquire::Languages=none"
}

declare -A APT_UPDATED=()
apt_private_update() { # apt_private_update SUITE (once per run)
  local suite=$1 d="$CACHE/apt/$1" t=$EPOCHREALTIME
  [[ -n "${APT_UPDATED[$suite]:-}" ]] && return 0
  mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
  printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' \
    "$MIRROR" "$suite" >"$d/sources.list"
  local opts
  mapfile -t opts < <(apt_opts "$suite")
  retry 3 apt-get "${opts[@]}" update -q >"$RUN/logs/apt-$suite.log" 2>&1 ||
    die "apt-get update for $suite failed (see $RUN/logs/apt-$suite.log)"
  APT_UPDATED[$suite]=1
  log "apt lists for $suite fetched in $(since "$t")"
}

FETCHED_DEB=""
fetch_deb() { # fetch_deb SUITE PKG -> sets FETCHED_DEB to the cached .deb (not in a subshell:
  #                                   the per-suite "lists updated" state must persist)
  local suite=$1 pkg=$2 dir="$CACHE/debs/$1" f
  mkdir -p "$dir"
  f=$(find "$dir" -maxdepth 1 -name "${pkg}_*.deb" | sort -V | tail -n 1)
  if [[ -z "$f" ]]; then
    local t=$EPOCHREALTIME opts
    apt_private_update "$suite"
    mapfile -t opts < <(apt_opts "$suite")
    (cd "$dir" && retry 3 apt-get "${opts[@]}" download "$pkg") >>"$RUN/logs/apt-$suite.log" 2>&1 ||
      die "apt-get download $pkg from $suite failed (see $RUN/logs/apt-$suite.log)"
    f=$(find "$dir" -maxdepth 1 -name "${pkg}_*.deb" | sort -V | tail -n 1)
    [[ -n "$f" ]] || die "downloaded $pkg from $suite but found no .deb in $dir"
    log "downloaded $(basename "$f") in $(since "$t")"
  fi
  FETCHED_DEB=$f
}

unpack_deb() { # unpack_deb DEB -> prints the tools dir it is unpacked into
  local deb=$1 name dir
  name=$(basename "$deb" .deb)
  dir="$CACHE/tools/$name"
  if [[ ! -e "$dir/.unpacked" ]]; then
    rm -rf "$dir"
    mkdir -p "$dir"
    dpkg -x "$deb" "$dir"
    touch "$dir/.unpacked"
  fi
  printf '%s\n' "$dir"
}

declare -A ENGINE_DIR=() BUILDX_BIN=()
provision_tools() {
  local t=$EPOCHREALTIME role esuite bsuite edir bdir
  for role in "${ROLES[@]}"; do
    if [[ $role == modern ]]; then
      esuite=$MODERN_ENGINE_SUITE bsuite=$MODERN_BUILDX_SUITE
    else
      esuite=$LEGACY_ENGINE_SUITE bsuite=$LEGACY_BUILDX_SUITE
    fi
    fetch_deb "$esuite" docker.io
    edir=$(unpack_deb "$FETCHED_DEB")
    fetch_deb "$bsuite" docker-buildx
    bdir=$(unpack_deb "$FETCHED_DEB")
    [[ -x "$edir/usr/sbin/dockerd" ]] || die "no usr/sbin/dockerd in $edir"
    [[ -x "$bdir/usr/libexec/docker/cli-plugins/docker-buildx" ]] ||
      die "no docker-buildx plugin in $bdir"
    # docker-init is a relative symlink to tini-static: point it at bookworm's tini-static
    if [[ -L "$edir/usr/bin/docker-init" && ! -e "$edir/usr/bin/tini-static" ]]; then
      ln -sfn /usr/bin/tini-static "$edir/usr/bin/tini-static"
    fi
    ENGINE_DIR[$role]=$edir
    BUILDX_BIN[$role]=$bdir/usr/libexec/docker/cli-plugins/docker-buildx
  done
  if ! DOCKER=$(docker_bin); then
    log "no docker CLI on PATH: using sid's docker-cli"
    fetch_deb sid docker-cli
    DOCKER=$(unpack_deb "$FETCHED_DEB")/usr/bin/docker
  fi
  [[ -x "$DOCKER" ]] || die "docker CLI $DOCKER is not executable"
  log "engine/buildx binaries ready in $(since "$t")"
}

provision_uv() { # -> prints path of the uv binary (from the PyPI wheel)
  local dir="$CACHE/pypi/uv-$UV_VERSION"
  if [[ ! -x "$dir/uv" ]]; then
    local t=$EPOCHREALTIME whl
    mkdir -p "$dir/wheel"
    retry 3 python3 -m pip download -q "uv==$UV_VERSION" --no-deps --only-binary=:all: \
      -d "$dir/wheel" >"$RUN/logs/pip-uv.log" 2>&1 ||
      die "pip download uv==$UV_VERSION failed (see $RUN/logs/pip-uv.log)"
    whl=$(find "$dir/wheel" -name "uv-$UV_VERSION-*.whl" | head -n 1)
    [[ -n "$whl" ]] || die "no uv wheel downloaded into $dir/wheel"
    python3 - "$whl" "$dir" "$UV_VERSION" <<'PY'
import shutil, sys, zipfile
whl, out, ver = sys.argv[1:]
with zipfile.ZipFile(whl) as z, z.open(f"uv-{ver}.data/scripts/uv") as src, open(f"{out}/uv.tmp", "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
    chmod 0755 "$dir/uv.tmp"
    mv "$dir/uv.tmp" "$dir/uv"
    log "uv $UV_VERSION taken from $(basename "$whl") in $(since "$t")"
  fi
  printf '%s\n' "$dir/uv"
}

BASE_TAR=""
BUSYBOX_TAR=""
provision_images() {
  mkdir -p "$CACHE/images"
  BASE_TAR="$CACHE/images/uvct-base-bookworm-uv$UV_VERSION.tar"
  if [[ ! -s "$BASE_TAR" ]]; then
    local t=$EPOCHREALTIME uv root="$CACHE/work/rootfs"
    uv=$(provision_uv)
    rm -rf "$root"
    mkdir -p "$root"
    log "debootstrap bookworm minbase (+python3-minimal, python3-venv) ..."
    retry 2 debootstrap --variant=minbase --include=python3-minimal,python3-venv \
      bookworm "$root" "$MIRROR" >"$RUN/logs/debootstrap.log" 2>&1 ||
      die "debootstrap failed (see $RUN/logs/debootstrap.log)"
    install -m 0755 "$uv" "$root/usr/local/bin/uv"
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/*
    tar --numeric-owner -C "$root" -cf "$BASE_TAR.tmp" .
    mv "$BASE_TAR.tmp" "$BASE_TAR"
    rm -rf "$root"
    log "base rootfs tarball built in $(since "$t") ($(du -h "$BASE_TAR" | cut -f1))"
  fi
  local bbver
  bbver=$(dpkg-query -W -f '${Version}' busybox-static | tr ':~+' '___')
  BUSYBOX_TAR="$CACHE/images/uvct-busybox-$bbver.tar"
  if [[ ! -s "$BUSYBOX_TAR" ]]; then
    local root="$CACHE/work/busybox" a
    rm -rf "$root"
    mkdir -p "$root"/{bin,etc,tmp,root}
    chmod 1777 "$root/tmp"
    cp /bin/busybox "$root/bin/busybox"
    for a in $(/bin/busybox --list); do
      [[ -e "$root/bin/$a" ]] || ln -s busybox "$root/bin/$a"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
    printf 'root:x:0:\n' >"$root/etc/group"
    tar --numeric-owner -C "$root" -cf "$BUSYBOX_TAR.tmp" .
    mv "$BUSYBOX_TAR.tmp" "$BUSYBOX_TAR"
    rm -rf "$root"
    log "busybox tarball built"
  fi
}

setup_configs() {
  local role cfg
  for role in "${ROLES[@]}"; do
    cfg=$(config_of "$role")
    mkdir -p "$cfg/cli-plugins"
    ln -sfn "${BUILDX_BIN[$role]}" "$cfg/cli-plugins/docker-buildx"
  done
  cfg=$(config_of multi)
  mkdir -p "$cfg/cli-plugins"
  ln -sfn "${BUILDX_BIN[modern]}" "$cfg/cli-plugins/docker-buildx"
  for role in "${ROLES[@]}"; do
    local name="uvct-$role" want have
    want=$(host_of "$role")
    have=$(DOCKER_CONFIG=$cfg "$DOCKER" context inspect "$name" \
      --format '{{.Endpoints.docker.Host}}' 2>/dev/null || true)
    if [[ -z "$have" ]]; then
      DOCKER_CONFIG=$cfg "$DOCKER" context create "$name" --docker "host=$want" \
        --description "uvcache-tui test engine ($role)" >/dev/null 2>&1 ||
        die "docker context create $name failed"
    elif [[ "$have" != "$want" ]]; then
      DOCKER_CONFIG=$cfg "$DOCKER" context update "$name" --docker "host=$want" >/dev/null 2>&1 ||
        die "docker context update $name failed"
    fi
  done
  DOCKER_CONFIG=$cfg "$DOCKER" context use uvct-modern >/dev/null 2>&1
}

# ---------------------------------------------------------------- engines

# Unmount what a killed dockerd left under DIR (it bind-mounts its data-root onto itself;
# after a crash + restart these stack up). Only for an engine that is not running.
cleanup_mounts() { # cleanup_mounts DIR
  local dir=$1 m
  awk -v d="$dir" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/mounts | sort -r |
    while read -r m; do
      umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "could not unmount $m"
    done
}

start_engine() { # start_engine ROLE
  local role=$1 t=$EPOCHREALTIME sock pidfile dir edir pid
  sock=$(sock_of "$role")
  pidfile=$(pidfile_of "$role")
  dir="$RUN/$role"
  edir=${ENGINE_DIR[$role]}
  if engine_answers "$role"; then
    log "$role engine already running ($(host_of "$role"))"
    return 0
  fi
  if [[ -s "$pidfile" ]] && pid_alive_cmd "$(cat "$pidfile")" dockerd; then
    log "$role dockerd (pid $(cat "$pidfile")) is alive but not answering; waiting"
    pid=$(cat "$pidfile")
  else
    rm -f "$pidfile"
    # stale managed containerd pidfile from a killed run
    local cpid="$dir/exec/containerd/containerd.pid"
    if [[ -s "$cpid" ]] && ! pid_alive_cmd "$(cat "$cpid")" "$dir/exec/containerd"; then
      rm -f "$cpid"
    fi
    cleanup_mounts "$dir"
    mkdir -p "$dir/data" "$dir/exec"
    local args=(
      --data-root "$dir/data"
      --exec-root "$dir/exec"
      -H "unix://$sock"
      --pidfile "$pidfile"
      --bridge=none
      --iptables=false
      --ip6tables=false
      --storage-driver=overlay2
    )
    {
      printf '\n===== %s starting %s %s\n' "$(date -u +%FT%TZ)" "$edir/usr/sbin/dockerd" "${args[*]}"
    } >>"$dir/dockerd.log"
    (
      cd /
      # the daemon must not keep the lock (fd 9) or any pipe of the caller open
      for fd in "/proc/$BASHPID/fd/"*; do
        fd=${fd##*/}
        if [[ $fd =~ ^[0-9]+$ ]] && ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null || true; fi
      done
      PATH="$edir/usr/sbin:$edir/usr/bin:$ENGINE_PATH_TAIL" \
        exec setsid "$edir/usr/sbin/dockerd" "${args[@]}" </dev/null >>"$dir/dockerd.log" 2>&1
    ) &
    pid=$!
  fi
  local deadline=$((SECONDS + START_TIMEOUT))
  until engine_answers "$role"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$dir/dockerd.log" >&2 || true
      die "$role dockerd exited during startup (log: $dir/dockerd.log)"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 30 "$dir/dockerd.log" >&2 || true
      die "$role engine did not answer within ${START_TIMEOUT}s (log: $dir/dockerd.log)"
    fi
    sleep 0.2
  done
  log "$role engine up in $(since "$t") ($(dk "$role" version --format '{{.Server.Version}} API {{.Server.APIVersion}}'))"
}

import_images() { # import_images ROLE
  local role=$1 t
  if ! dk "$role" image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    t=$EPOCHREALTIME
    dk "$role" import -c "$IMAGE_PATH_ENV" -c 'CMD ["/bin/bash"]' "$BASE_TAR" "$BASE_IMAGE" >/dev/null ||
      die "$role: docker import $BASE_TAR failed"
    log "$role: imported $BASE_IMAGE in $(since "$t")"
  fi
  if ! dk "$role" image inspect "$BUSYBOX_IMAGE" >/dev/null 2>&1; then
    t=$EPOCHREALTIME
    dk "$role" import -c "$IMAGE_PATH_ENV" -c 'CMD ["/bin/sh"]' "$BUSYBOX_TAR" "$BUSYBOX_IMAGE" >/dev/null ||
      die "$role: docker import $BUSYBOX_TAR failed"
    log "$role: imported $BUSYBOX_IMAGE in $(since "$t")"
  fi
}

write_env() {
  local f="$RUN/env"
  {
    echo "export UVCT_MODERN_HOST=$(host_of modern)"
    echo "export UVCT_LEGACY_HOST=$(host_of legacy)"
    echo "export UVCT_MODERN_DOCKER_CONFIG=$(config_of modern)"
    echo "export UVCT_LEGACY_DOCKER_CONFIG=$(config_of legacy)"
    echo "export UVCT_MULTI_DOCKER_CONFIG=$(config_of multi)"
    echo "export UVCT_MODERN_CONTEXT=uvct-modern"
    echo "export UVCT_LEGACY_CONTEXT=uvct-legacy"
    echo "export UVCT_BASE_IMAGE=$BASE_IMAGE"
    echo "export UVCT_BUSYBOX_IMAGE=$BUSYBOX_IMAGE"
    echo "export UVCT_DOCKER_BIN=$DOCKER"
    echo "export UVCT_MODERN_API_VERSION=$(dk modern version --format '{{.Server.APIVersion}}')"
    echo "export UVCT_LEGACY_API_VERSION=$(dk legacy version --format '{{.Server.APIVersion}}')"
  } >"$f.tmp"
  mv "$f.tmp" "$f"
}

lock_run() {
  mkdir -p "$RUN/logs"
  exec 9>"$RUN/.lock"
  flock -w 900 9 || die "could not lock $RUN/.lock"
}

require_root() {
  [[ $(id -u) -eq 0 ]] || die "must run as root (dockerd, debootstrap, apt-get)"
}

check_paths() {
  [[ "$RUN" != *[[:space:]]* && "$CACHE" != *[[:space:]]* ]] || die "UVCT_DOCKER_RUN/UVCT_DOCKER_CACHE must not contain spaces"
  # unix socket paths are limited to 107 bytes (containerd's socket lives under the exec-root)
  ((${#RUN} <= 60)) || die "UVCT_DOCKER_RUN path too long for unix sockets: $RUN"
}

cmd_start() {
  require_root
  check_paths
  lock_run
  mkdir -p "$CACHE"
  log "cache: $CACHE  run: $RUN"
  ensure_system_packages
  MIRROR=$(mirror_uri)
  provision_tools
  provision_images
  setup_configs
  # start both engines in parallel (each waits for its own socket)
  local role pids=() rc=0
  for role in "${ROLES[@]}"; do
    start_engine "$role" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
  ((rc == 0)) || die "engine startup failed"
  pids=()
  for role in "${ROLES[@]}"; do
    import_images "$role" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
  ((rc == 0)) || die "image import failed"
  write_env
  log "ready in $(since "$SCRIPT_T0"); env file: $RUN/env"
  printf '%s\n' "$RUN/env"
}

stop_pid() { # stop_pid PID WHAT
  local pid=$1 what=$2 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 150; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  log "$what (pid $pid) did not exit after 30s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  die "$what (pid $pid) did not exit"
}

cmd_stop() {
  require_root
  lock_run
  local role pidfile pid cpidf cpid t=$EPOCHREALTIME
  local -A dpid=()
  # SIGTERM both dockerds first, then wait for each (they shut down in parallel)
  for role in "${ROLES[@]}"; do
    pidfile=$(pidfile_of "$role")
    if [[ -s "$pidfile" ]] && pid=$(cat "$pidfile") && pid_alive_cmd "$pid" dockerd; then
      kill -TERM "$pid" 2>/dev/null || true
      dpid[$role]=$pid
    else
      log "$role engine not running"
    fi
  done
  for role in "${ROLES[@]}"; do
    if [[ -n "${dpid[$role]:-}" ]]; then
      stop_pid "${dpid[$role]}" "$role dockerd"
      log "$role engine stopped in $(since "$t")"
    fi
    rm -f "$(pidfile_of "$role")"
    # dockerd stops its managed containerd; make sure (e.g. after a dockerd crash)
    cpidf="$RUN/$role/exec/containerd/containerd.pid"
    if [[ -s "$cpidf" ]] && cpid=$(cat "$cpidf") && pid_alive_cmd "$cpid" "$RUN/$role/exec/containerd"; then
      stop_pid "$cpid" "$role containerd"
      log "$role managed containerd stopped"
    fi
    cleanup_mounts "$RUN/$role"
  done
}

cmd_status() {
  DOCKER=$(docker_bin) || die "no docker CLI found"
  local role rc=0
  for role in "${ROLES[@]}"; do
    if engine_answers "$role"; then
      echo "$role: running $(dk "$role" version --format '{{.Server.Version}} API {{.Server.APIVersion}}') at $(host_of "$role") (buildx $(dk "$role" buildx version | awk '{print $2}'))"
    else
      echo "$role: not running"
      rc=1
    fi
  done
  exit $rc
}

load_env_for_use() {
  [[ -s "$RUN/env" ]] || die "no env file at $RUN/env: run '$0 start' first"
  DOCKER=$(awk -F= '/^export UVCT_DOCKER_BIN=/{print $2}' "$RUN/env")
  local role
  for role in "${ROLES[@]}"; do
    engine_answers "$role" || die "$role engine is not running: run '$0 start' first"
  done
}

cmd_verify() {
  # Real cache-mount build on both engines. Other test runs may share the engines, so
  # verify touches only its own records: a unique cache id and marker, pruned by
  # anchored ID afterwards (a tiny "local source"/"from local" record may remain).
  load_env_for_use
  local ctx role t marker ids id
  marker="uvctverify$$x$RANDOM"
  ctx=$(mktemp -d)
  cat >"$ctx/Dockerfile" <<EOF
FROM $BASE_IMAGE
RUN --mount=type=cache,id=$marker,target=/root/.cache/uv uv --version && echo $marker
EOF
  for role in "${ROLES[@]}"; do
    t=$EPOCHREALTIME
    dk "$role" build --network none --progress plain -t "$marker:latest" "$ctx" \
      >"$RUN/logs/verify-$role.log" 2>&1 ||
      die "$role: build failed (see $RUN/logs/verify-$role.log)"
    grep -q "uv $UV_VERSION" "$RUN/logs/verify-$role.log" ||
      die "$role: build output lacks 'uv $UV_VERSION' (see $RUN/logs/verify-$role.log)"
    dk "$role" buildx du --verbose --filter type=exec.cachemount >"$RUN/logs/verify-$role-du.txt"
    grep -q "^Description:.*$marker" "$RUN/logs/verify-$role-du.txt" ||
      die "$role: 'docker buildx du --verbose' shows no exec.cachemount record for the build"
    dk "$role" run --rm --network none "$BUSYBOX_IMAGE" true ||
      die "$role: could not run a container from $BUSYBOX_IMAGE"
    dk "$role" image rm "$marker:latest" >/dev/null
    ids=$(dk "$role" buildx du --verbose | awk -v m="$marker" '/^ID:/ { id = $2 } /^Description:/ && index($0, m) { print id }')
    for id in $ids; do
      dk "$role" buildx prune -f --filter "id=^${id}\$" >/dev/null
    done
    log "$role: verified (cache-mount build, buildx du, busybox run) in $(since "$t")"
  done
  rm -rf "$ctx"
}

cmd_record_fixtures() {
  # Records on a dedicated, throwaway pair of engines (${RUN}-fixtures): the recording prunes
  # all build cache, which must not hit the engines that tests are using.
  local out=${1:-"$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/fixtures/buildkit"}
  local frun="${RUN}-fixtures" self rc=0
  self="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
  mkdir -p "$out"
  out=$(cd "$out" && pwd)
  UVCT_DOCKER_RUN=$frun "$self" start >/dev/null
  UVCT_DOCKER_RUN=$frun "$self" _record "$out" || rc=$?
  UVCT_DOCKER_RUN=$frun "$self" stop
  if grep -q " $frun/" /proc/mounts; then
    log "mounts remain under $frun; not removing it"
  else
    rm -rf "$frun"
  fi
  ((rc == 0)) || die "recording fixtures failed"
}

cmd_record() {
  load_env_for_use
  local out=$1
  command -v curl >/dev/null || die "curl is needed to record the Engine API fixtures"
  local ctx role
  ctx=$(mktemp -d)
  cat >"$ctx/Dockerfile" <<'EOF'
FROM uvct-base
ENV SERVICE_NAME=application
ENV UV_CACHE_DIR=/${SERVICE_NAME}/cache/uv
RUN --mount=type=cache,target=${UV_CACHE_DIR} uv --version
RUN --mount=type=cache,target=/root/.cache/uv uv --version
RUN --mount=type=cache,target=/root/.cache/pip mkdir -p /root/.cache/pip/http && head -c 200000 /dev/urandom > /root/.cache/pip/http/blob
RUN --mount=type=cache,id=mycache,sharing=private,uid=1000,gid=1000,target=/cache touch /cache/owned && ls -ln /cache
RUN echo layer > /layer.txt
EOF
  cp "$ctx/Dockerfile" "$out/Dockerfile.recorded"
  for role in "${ROLES[@]}"; do
    dk "$role" buildx prune -af >/dev/null
    dk "$role" build --network none --progress plain -t uvct-fixture:latest "$ctx" \
      >"$RUN/logs/fixture-$role.log" 2>&1 ||
      die "$role: fixture build failed (see $RUN/logs/fixture-$role.log)"
  done
  # UsageCount/LastUsedAt of cache mounts are updated lazily after a build (observed: the
  # first `du` after a build can still show the old count): settle, then one discarded `du`
  sleep 5
  for role in "${ROLES[@]}"; do dk "$role" buildx du >/dev/null; done
  sleep 1
  local lv mbv la ma multi013
  lv=$(dk legacy buildx version | awk '{print $2}' | sed 's/+.*//')
  mbv=$(dk modern buildx version | awk '{print $2}' | sed 's/+.*//' | cut -d. -f1,2)
  la=$(dk legacy version --format '{{.Server.APIVersion}}')
  ma=$(dk modern version --format '{{.Server.APIVersion}}')
  # legacy engine, buildx 0.13.1
  dk legacy buildx du --verbose >"$out/buildx-$lv-du-verbose.txt"
  dk legacy buildx du >"$out/buildx-$lv-du.txt"
  # builders: both contexts; buildx 0.13.1 in a copy of the multi config, current = uvct-legacy
  multi013=$(mktemp -d)
  cp -a "$(config_of multi)/." "$multi013/"
  ln -sfn "$(readlink -f "$(config_of legacy)/cli-plugins/docker-buildx")" "$multi013/cli-plugins/docker-buildx"
  DOCKER_CONFIG=$multi013 "$DOCKER" context use uvct-legacy >/dev/null 2>&1
  (unset DOCKER_HOST DOCKER_CONTEXT; DOCKER_CONFIG=$multi013 "$DOCKER" buildx ls --format json 2>/dev/null) >"$out/buildx-$lv-ls.json"
  (unset DOCKER_HOST DOCKER_CONTEXT; DOCKER_CONFIG=$multi013 "$DOCKER" buildx ls 2>/dev/null) >"$out/buildx-$lv-ls-table.txt" || true
  rm -rf "$multi013"
  # modern engine, buildx 0.29
  dk modern buildx du --format json >"$out/buildx-$mbv-du.json"
  dk modern buildx du --verbose >"$out/buildx-$mbv-du-verbose.txt"
  dk modern buildx du >"$out/buildx-$mbv-du.txt"
  (unset DOCKER_HOST DOCKER_CONTEXT; DOCKER_CONFIG=$(config_of multi) "$DOCKER" buildx ls --format json 2>/dev/null) >"$out/buildx-$mbv-ls.json"
  (unset DOCKER_HOST DOCKER_CONTEXT; DOCKER_CONFIG=$(config_of multi) "$DOCKER" buildx ls 2>/dev/null) >"$out/buildx-$mbv-ls-table.txt" || true
  # Engine API, raw
  curl -fsS --unix-socket "$(sock_of legacy)" "http://localhost/v$la/system/df" >"$out/api-$la-system-df.json"
  curl -fsS --unix-socket "$(sock_of modern)" "http://localhost/v$ma/system/df" >"$out/api-$ma-system-df.json"
  curl -fsS --unix-socket "$(sock_of modern)" "http://localhost/v$ma/system/df?type=build-cache" >"$out/api-$ma-system-df-build-cache.json"
  for role in "${ROLES[@]}"; do
    local api
    api=$(dk "$role" version --format '{{.Server.APIVersion}}')
    { dk "$role" version; echo; echo "buildx: $(dk "$role" buildx version)"; } >"$out/docker-version-api-$api.txt"
    dk "$role" image rm uvct-fixture:latest >/dev/null
    dk "$role" buildx prune -af >/dev/null
  done
  rm -rf "$ctx"
  log "fixtures recorded into $out"
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
env) printf '%s\n' "$RUN/env" ;;
status) cmd_status ;;
verify) cmd_verify ;;
record-fixtures) shift; cmd_record_fixtures "$@" ;;
_record) shift; cmd_record "$@" ;;
*)
  echo "usage: $0 start|stop|env|status|verify|record-fixtures [DIR]" >&2
  exit 2
  ;;
esac
