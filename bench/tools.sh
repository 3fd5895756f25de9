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
  if [ "$(id -u)" -ne 0 ]; then
    echo "bench: missing Debian packages: ${missing[*]} (install them as root)" >&2
    exit 1
  fi
  echo "bench: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
