#!/bin/bash
# Attaches and detaches the enforcer CYCLES times (default 1000) while two
# CPUs allocate and free pipes and eventfds, and prints what was created and
# what was left: programs, maps, links, fds, resident memory. tools/test.sh
# runs a short version (o2c:enforcer_faults_test). Run as root.
# Usage: tools/fault_cycles.sh [CYCLES]
set -euo pipefail
cd "$(dirname "$0")/.."

cycles="${1:-1000}"
if ! [[ "$cycles" =~ ^[0-9]+$ ]] || [[ "$cycles" -lt 6 ]]; then
  echo "usage: tools/fault_cycles.sh [CYCLES >= 6]" >&2
  exit 2
fi
bazel test //o2c:enforcer_faults_test \
  --test_filter='*AttachDetachCycles*' \
  --test_env=O2C_FAULT_CYCLES="$cycles" \
  --test_timeout=14400 \
  --test_output=all 2>&1 |
  grep -E '^[0-9]+ cycles in |Failure|left behind|PASSED|FAILED|^(program|map|link) [0-9]+'
