#!/usr/bin/env bash
# `apt-install.sh WHO [apt-get install options] PACKAGE...`: install Debian packages as root, or
# say which are missing (prefixed `WHO:`) and fail. Waits for another apt run's lock.
set -euo pipefail
who=$1
shift
if [ "$(id -u)" -ne 0 ]; then
  echo "$who: missing Debian packages: $* (install them as root)" >&2
  exit 1
fi
echo "$who: installing $*"
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$@" >/dev/null
