#!/usr/bin/env bash
# Runs every O2C test: unit, kernel (this machine's kernel) and vm (Debian's
# stock kernel under qemu), then the unit tier under ASan and UBSan. Installs
# what it needs first. Run as root.
# Ends with "N passed, N failed", counting gtest cases (a test target that
# failed without reporting its cases counts as one failure).
set -uo pipefail
cd "$(dirname "$0")/.."

# Each stage's wall time, printed at the end: CI's budget is the sum.
stage_start=${SECONDS}
timings=()
stage_done() {
  timings+=("$1 $((SECONDS - stage_start)) s")
  stage_start=${SECONDS}
}

bash tools/setup.sh || exit 1
stage_done "setup"

status=0
bazel test //... "$@" || status=$?
stage_done "bazel test //..."

# Count test cases from the XML reports Bazel keeps for the targets it ran.
read -r passed failed skipped < <(/usr/bin/python3 tools/count_tests.py)

# The unit tier again under AddressSanitizer, LeakSanitizer and
# UndefinedBehaviorSanitizer (--config=asan in .bazelrc, its own output
# directory): its cases count like the others; a finding fails its target.
asan_status=0
bazel test --config=asan //... || asan_status=$?
if [[ "$(readlink bazel-testlogs)" == *asan* ]]; then
  read -r asan_passed asan_failed _ < <(/usr/bin/python3 tools/count_tests.py)
else
  asan_passed=0 asan_failed=1  # nothing ran: the build failed
fi
echo "sanitizers (unit tier): ${asan_passed} passed, ${asan_failed} failed"
stage_done "sanitizers"
passed=$((passed + asan_passed))
failed=$((failed + asan_failed))
if [[ ${asan_status} -ne 0 && ${status} -eq 0 ]]; then status=${asan_status}; fi

# A short run of every fuzz target (tools/fuzz.sh SECONDS runs them longer):
# each target is one case, failed by a crash; a failed build fails them all.
fuzz_log=$(mktemp)
bash tools/fuzz.sh "${O2C_FUZZ_SECONDS:-10}" | tee "${fuzz_log}"
fuzz_status=${PIPESTATUS[0]}
fuzz_ok=$(grep -cE '^[a-z_]+_fuzzer +execs .* crashes 0$' "${fuzz_log}")
fuzz_bad=$(grep -cE '^[a-z_]+_fuzzer +execs .* crashes [1-9]' "${fuzz_log}")
if [[ ${fuzz_status} -ne 0 && ${fuzz_bad} -eq 0 ]]; then fuzz_bad=1; fi
passed=$((passed + fuzz_ok))
failed=$((failed + fuzz_bad))
if [[ ${fuzz_bad} -gt 0 && ${status} -eq 0 ]]; then status=1; fi
rm -f "${fuzz_log}"
stage_done "fuzz"
# The consumers (examples/consumer/, examples/cmake_consumer/): O2C linked
# the way products link it, through Bazel and through pkg-config and CMake.
read -r c_passed c_failed c_skipped < <(bash tools/test_consumers.sh | tail -n 1)
passed=$((passed + c_passed))
failed=$((failed + c_failed))
skipped=$((skipped + c_skipped))
if [[ ${c_failed} -gt 0 && ${status} -eq 0 ]]; then status=1; fi
stage_done "consumers"
echo "wall time: $(IFS=,; echo "${timings[*]}" | sed 's/,/, /g'), ${SECONDS} s in all"

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
