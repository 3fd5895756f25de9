#!/usr/bin/env bash
# What the benchmarks need besides the `bench` extra: RabbitMQ and Redis answering (the project's
# services script), and Debian's wrk and prometheus-alertmanager (installed when missing; only
# the binaries are used, no service is started). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/services.sh
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v prometheus-alertmanager >/dev/null || missing+=(prometheus-alertmanager)
if [ "${#missing[@]}" -gt 0 ]; then
  ./scripts/apt-install.sh bench --no-install-recommends "${missing[@]}"
fi
