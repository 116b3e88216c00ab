#!/usr/bin/env bash
# The test command (README, .ci/run): installs dependencies, builds, and runs every test, fast
# and slow tiers. Set GAPBENCH_TEST_LABEL=fast to run only the fast tier.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
label=${GAPBENCH_TEST_LABEL:-}
cd build
if [ -n "$label" ]; then
  ctest --output-on-failure -j "$(nproc)" -L "$label"
else
  ctest --output-on-failure -j "$(nproc)"
fi
