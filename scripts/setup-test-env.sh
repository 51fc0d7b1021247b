#!/usr/bin/env bash
# Prepares a Debian machine to run dockpulse's tests: a Docker engine (started if none answers), a static
# busybox for the local test image, Chromium for the browser tests, nats-server and Prometheus for the tests
# of agents on a bus and of /metrics, Podman for the tests against it (each starts its own), the compiler the
# history store is built with, and the pinned pnpm. Safe to run again.
set -euo pipefail

PNPM_VERSION=12.4.2
TEST_IMAGE=local/busybox:latest
DOCKERD_LOG=${DOCKERD_LOG:-/tmp/dockpulse-dockerd.log}
CONTAINERD_LOG=${CONTAINERD_LOG:-/tmp/dockpulse-containerd.log}
CONTAINERD_SOCK=/run/containerd/containerd.sock

sudo_() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
say() { printf 'setup: %s\n' "$*"; }

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v docker >/dev/null 2>&1 || missing+=(docker.io)
dpkg -s busybox-static >/dev/null 2>&1 || missing+=(busybox-static)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v nats-server >/dev/null 2>&1 || missing+=(nats-server)
command -v podman >/dev/null 2>&1 || missing+=(podman)
# better-sqlite3, the history store, is compiled at install where no prebuilt binary can be fetched.
for tool in python3 make g++; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  sudo_ apt-get update -qq
  sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Prometheus recommends a node exporter and the rest of its family; the tests need only the server and promtool.
if ! command -v prometheus >/dev/null 2>&1; then
  say "installing prometheus"
  sudo_ apt-get update -qq
  sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi

if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  say "installing pnpm $PNPM_VERSION"
  sudo_ npm install -g --silent "pnpm@$PNPM_VERSION"
fi

# Waits up to $1 seconds for the rest of the line to succeed.
wait_for() {
  local seconds=$1
  shift
  for _ in $(seq 1 "$seconds"); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 1
  done
  "$@" >/dev/null 2>&1
}

# dockerd gives a containerd of its own 15 s to answer. After an engine was killed with containers running,
# containerd first clears every task left behind, and dockerd then restores every container (466 took 77 s
# and 150 s here), so dockerd gives up. containerd runs apart, as under systemd, and each gets the time it needs.
if ! docker info >/dev/null 2>&1; then
  if ! ctr --address "$CONTAINERD_SOCK" version >/dev/null 2>&1; then
    say "starting containerd (log: $CONTAINERD_LOG)"
    sudo_ setsid containerd --address "$CONTAINERD_SOCK" >"$CONTAINERD_LOG" 2>&1 </dev/null &
    wait_for 300 ctr --address "$CONTAINERD_SOCK" version ||
      { say "containerd did not answer in 300 s; see $CONTAINERD_LOG"; tail -n 20 "$CONTAINERD_LOG" >&2; exit 1; }
  fi
  say "starting dockerd (log: $DOCKERD_LOG)"
  sudo_ setsid dockerd --host unix:///var/run/docker.sock --containerd "$CONTAINERD_SOCK" >"$DOCKERD_LOG" 2>&1 </dev/null &
  wait_for 300 docker info || { say "dockerd did not answer in 300 s; see $DOCKERD_LOG"; tail -n 20 "$DOCKERD_LOG" >&2; exit 1; }
fi

# A test or benchmark run that was killed leaves its containers behind, and a few hundred idle ones skew the
# figures of every run after them. Setup runs before tests, never during them, so all of them go.
leftovers=$({ docker ps -aq --filter label=dockpulse.test; docker ps -aq --filter label=dockpulse.bench; } 2>/dev/null | sort -u)
if [ -n "$leftovers" ]; then
  say "removing $(wc -l <<<"$leftovers") containers an interrupted test or benchmark run left"
  # shellcheck disable=SC2086 # one id a word
  docker rm -f $leftovers >/dev/null
fi

# No registry is reachable from the test machines, so the test image is built from the static busybox.
if ! docker image inspect "$TEST_IMAGE" >/dev/null 2>&1; then
  say "building $TEST_IMAGE"
  root=$(mktemp -d)
  trap 'rm -rf "$root"' EXIT
  mkdir -p "$root/bin" "$root/tmp"
  cp /bin/busybox "$root/bin/"
  for c in sh sleep cat head tail dd yes top ls echo wget nc; do ln -s busybox "$root/bin/$c"; done
  tar -C "$root" -c . | docker import - "$TEST_IMAGE" >/dev/null
fi
say "ready: $(docker version --format 'engine {{.Server.Version}} (API {{.Server.APIVersion}})'), pnpm $(pnpm --version), $(chromium --version 2>/dev/null | head -n1), nats-server $(nats-server --version 2>/dev/null | awk '{print $2}'), $(prometheus --version 2>&1 | head -n1 | awk '{print $1, $3}')"
