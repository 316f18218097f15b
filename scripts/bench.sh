#!/usr/bin/env bash
# make bench: release build, then the benchmarks of scripts/bench.py (loopback only).
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 scripts/bench.py "${REVENANT_BIN:-.build/release/revenant}" "$@"
