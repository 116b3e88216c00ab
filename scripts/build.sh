#!/usr/bin/env bash
# Configures and builds gapbench into ./build (Release with debug info). Warnings are errors
# when CI is set.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
cmake --build build -j "$(nproc)"
