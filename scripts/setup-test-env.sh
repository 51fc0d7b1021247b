#!/usr/bin/env bash
# Prepares a Debian machine to run dockpulse's tests: a Docker engine (started if none answers), a static
# busybox for the local test image, Chromium for the browser tests, nats-server and Prometheus for the tests
# of agents on a bus and of /metrics, Podman for the tests against it (each starts its own), the compiler the
# history store is built with, and the pinned pnpm. Safe to run again.
set -euo pipefail

PNPM_VERSION=12.4.2
TEST_IMAGE=local/busybox:latest
DOCKERD_LOG=${DOCKERD_LOG:-/tmp/dockpulse-dockerd.log}

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

if ! docker info >/dev/null 2>&1; then
  say "starting dockerd (log: $DOCKERD_LOG)"
  sudo_ setsid dockerd --host unix:///var/run/docker.sock >"$DOCKERD_LOG" 2>&1 </dev/null &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || { say "dockerd did not come up; see $DOCKERD_LOG"; tail -n 20 "$DOCKERD_LOG" >&2; exit 1; }
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
