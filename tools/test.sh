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

# A short run of every fuzz target (tools/fuzz.sh SECONDS runs them longer):
# each target is one case, failed by a crash; a failed build fails them all.
fuzz_log=$(mktemp)
bash tools/fuzz.sh "${O2C_FUZZ_SECONDS:-15}" | tee "${fuzz_log}"
fuzz_status=${PIPESTATUS[0]}
fuzz_ok=$(grep -cE '^[a-z_]+_fuzzer +execs .* crashes 0$' "${fuzz_log}")
fuzz_bad=$(grep -cE '^[a-z_]+_fuzzer +execs .* crashes [1-9]' "${fuzz_log}")
if [[ ${fuzz_status} -ne 0 && ${fuzz_bad} -eq 0 ]]; then fuzz_bad=1; fi
passed=$((passed + fuzz_ok))
failed=$((failed + fuzz_bad))
if [[ ${fuzz_bad} -gt 0 && ${status} -eq 0 ]]; then status=1; fi
rm -f "${fuzz_log}"
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
