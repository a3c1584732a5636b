#!/usr/bin/env bash
# `o2c victims` on this kernel: the pipe compartment's victims, harvested
# under the built-in workload and scored with the shipped pipe model; the
# CSV it writes is read back by `o2c evaluate`; its refusals.
set -euo pipefail
runfiles="${TEST_SRCDIR}/${TEST_WORKSPACE}"
o2c="${runfiles}/examples/o2c"
policy="${runfiles}/testdata/policies/pipe.policy"
model="${runfiles}/testdata/prepare/pipe.o2cm"
source "${runfiles}/examples/cli_test_lib.sh"

expect_error "o2c victims: --policy is required" "${o2c}" victims --model "${model}"
expect_error "o2c victims: --model is required" "${o2c}" victims --policy "${policy}"
expect_error "--rounds must be in [1, 10^6]" \
  "${o2c}" victims --policy "${policy}" --model "${model}" --rounds 0

if [[ $(id -u) -ne 0 ]]; then
  echo "SKIPPED: needs root (loads BPF programs)"
  [[ "${CI:-}" == true ]] && exit 1
  exit 0
fi
csv="${TEST_TMPDIR}/victims.csv"
out=$("${o2c}" victims --policy "${policy}" --model "${model}" --rounds 5 --out "${csv}")
echo "${out}"
for want in "harvest: " "seq_operations " "msg_msg " "all victims " \
  "the compartment's own objects here (not victims): pipe_buffer" "wrote ${csv}"; do
  [[ "${out}" == *"${want}"* ]] || fail "no '${want}' in the output"
done
head -c 4096 "${csv}" | grep -q "victim_type" || fail "${csv} has no victim_type column"
eval_out=$("${o2c}" evaluate --model "${model}" --data "${csv}")
[[ "${eval_out}" == *"ignored columns the model does not read: victim_type"* ]] ||
  fail "evaluate did not read the victims: ${eval_out}"
echo PASS
