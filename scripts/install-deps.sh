#!/usr/bin/env bash
# Installs everything gapbench needs to build and test on Debian 12 (run as root).
# Skips apt entirely when every package is already present, so repeated runs are fast and work
# offline.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git python3 python3-yaml
  libhwy-dev libutf8proc-dev libtbb-dev rapidjson-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libzmq3-dev cppzmq-dev libsqlite3-dev libboost-dev zlib1g-dev libseccomp-dev libre2-dev
  clang-tidy  # scripts/tidy.sh (CI: .clang-tidy on changed lines)
  chromium
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: run as root (or with sudo) to install packages" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
