#!/usr/bin/env bash
# Runs every O2C test: unit, kernel (this machine's kernel) and vm (Debian's
# stock kernel under qemu). Installs what it needs first. Run as root.
# Ends with "N passed, N failed", counting gtest cases (a test target that
# failed without reporting its cases counts as one failure).
set -uo pipefail
cd "$(dirname "$0")/.."

bash tools/setup.sh || exit 1

status=0
bazel test //... "$@" || status=$?

# Count test cases from the XML reports Bazel keeps for the targets it ran.
read -r passed failed skipped < <(/usr/bin/python3 tools/count_tests.py)
if [[ $skipped -gt 0 ]]; then
  echo "${passed} passed, ${failed} failed, ${skipped} skipped"
else
  echo "${passed} passed, ${failed} failed"
fi
if [[ $status -ne 0 && $failed -eq 0 ]]; then
  echo "bazel test exited ${status} without a failed test case (build failure?)" >&2
  exit "$status"
fi
exit "$status"
