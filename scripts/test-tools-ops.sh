#!/usr/bin/env bash
# Install the Debian tools the ops tests drive: chromium (the live-page browser test, through
# Playwright with executable_path=/usr/bin/chromium, never `playwright install`) and promtool
# (checks deploy/prometheus/hub-rules.yml). Idempotent: installs only what is missing.
set -euo pipefail

missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v promtool >/dev/null || missing+=(prometheus)

if [ "${#missing[@]}" -eq 0 ]; then
  echo "test-tools-ops: chromium and promtool present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "test-tools-ops: installing ${missing[*]} needs root (run as root or install them yourself)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Wait for the dpkg lock: another provisioning script may be installing at the same time.
apt-get -o DPkg::Lock::Timeout=600 update -qq
# prometheus's recommends would pull in exporters and a web UI the rules check does not need.
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
command -v chromium >/dev/null && command -v promtool >/dev/null
echo "test-tools-ops: installed ${missing[*]}"
