#!/usr/bin/env bash
# `o2c attach` refuses to arm a KILL policy system-wide without a model (the
# final phase would start at once and kill every process freeing an object
# allocated before the attach), before it touches the kernel.
set -euo pipefail
runfiles="${TEST_SRCDIR}/${TEST_WORKSPACE}"
o2c="${runfiles}/examples/o2c"
policies="${runfiles}/testdata/policies"
fail() { echo "FAIL: $*" >&2; exit 1; }

# expect_error EXPECTED_SUBSTRING COMMAND...: fails with exit 1 and says it.
expect_error() {
  local want="$1" out rc=0
  shift
  out=$("$@" 2>&1) || rc=$?
  [[ ${rc} -eq 1 ]] || fail "exit ${rc}, want 1: $* (${out})"
  [[ "${out}" == *"${want}"* ]] || fail "want '${want}' from $*, got: ${out}"
  echo "ok: ${want}"
}

for policy in pipe.policy pipe_free_only.policy; do
  expect_error "${policy}: refusing to arm KILL system-wide without a model" \
    "${o2c}" attach --policy "${policies}/${policy}"
done
out=$("${o2c}" attach --policy "${policies}/pipe.policy" 2>&1) || true
for why in "kill every process that frees an object allocated before the attach" \
  "--model" "--tgid" "--allow-kill-without-model"; do
  [[ "${out}" == *"${why}"* ]] || fail "the refusal does not say '${why}': ${out}"
done
expect_error "o2c attach: --policy is required" "${o2c}" attach
echo PASS
