#!/usr/bin/env bash
# `o2c attach` refuses to arm a KILL policy system-wide without a model (the
# final phase would start at once and kill every process freeing an object
# allocated before the attach), before it touches the kernel.
set -euo pipefail
runfiles="${TEST_SRCDIR}/${TEST_WORKSPACE}"
o2c="${runfiles}/examples/o2c"
policies="${runfiles}/testdata/policies"
source "${runfiles}/examples/cli_test_lib.sh"

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
