#!/usr/bin/env bash
# Install the Debian tools tests drive, when they are missing: systemd-analyze (unit files),
# docker-compose (the Compose file schema), haproxy -c, promtool (alert rules), chromium (the
# live-page browser test, through Playwright with executable_path=/usr/bin/chromium, never
# `playwright install`), strace (which SQLite commits fsync, tests/backends/sqlite/test_db.py) and
# python3-apt (Ansible's apt module in check mode), rabbitmq-server and redis-server (the cluster
# and Sentinel fault tests start nodes of their own). Idempotent: does nothing when all are
# there. The PyPI validators come with the `dev` extra.
set -euo pipefail

declare -A tool_package=(
  [systemd-analyze]=systemd
  [docker-compose]=docker-compose
  [haproxy]=haproxy
  [promtool]=prometheus
  [chromium]=chromium
  [strace]=strace
  [rabbitmq-server]=rabbitmq-server
  [redis-server]=redis-server
)

missing=()
for tool in "${!tool_package[@]}"; do
  command -v "$tool" >/dev/null || missing+=("${tool_package[$tool]}")
done
/usr/bin/python3 -c 'import apt' 2>/dev/null || missing+=(python3-apt)

if [ "${#missing[@]}" -gt 0 ]; then
  # --no-install-recommends: only the validators' binaries are needed, not running services.
  "$(dirname "$0")/apt-install.sh" test-tools --no-install-recommends "${missing[@]}"
fi

# kubectl (for `kubectl kustomize`) ships with this machine image; Debian does not package it.
if ! command -v kubectl >/dev/null; then
  echo "test-tools: kubectl is missing and Debian has no package for it:" \
    "the kustomize rendering test will fail (install kubectl from your usual source)" >&2
fi
