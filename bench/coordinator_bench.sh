#!/usr/bin/env bash
# Coordinator throughput (docs/PERFORMANCE.md, "Coordinator throughput"): builds
# gb_coordinator_bench and runs the standard set -- 1, 16, 128 and 1,000 simulated workers doing
# empty shards back to back (capacity), and 1,000 workers whose shards take 10 s (a real
# cluster's load) -- with the database in $TMPDIR (default /tmp: a real disk, so SQLite's fsyncs
# count). Extra arguments go to the benchmark, e.g. --benchmark_filter='workers:1000/'.
#
# Usage: bench/coordinator_bench.sh [BUILD_DIR] [benchmark args...]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
shift || true
ninja -C "$build" -j2 gb_coordinator_bench
exec "$build/bench/gb_coordinator_bench" --benchmark_counters_tabular=true "$@"
