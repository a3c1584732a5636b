#!/usr/bin/env bash
# `o2c compartment --stores` on this kernel's fs/pipe.c: one report per code
# range, every site in one of the five classes, the totals the per-class
# lines add up to, and the stores alloc_pipe_info must make (it fills the
# pipe object it just allocated, through a register: run-time stores).
set -euo pipefail
runfiles="${TEST_SRCDIR}/${TEST_WORKSPACE}"
source "${runfiles}/examples/cli_test_lib.sh"
o2c="${runfiles}/examples/o2c"
cd "${runfiles}"
if [[ $(id -u) -ne 0 ]]; then
  echo "SKIPPED: reading kernel text needs root"
  [[ "${CI:-}" == true ]] && exit 1 || exit 0
fi
out=$("${o2c}" compartment --policy testdata/policies/pipe.policy --stores)
echo "${out}" | tail -n 8

ranges=$(grep -oP '^compartment .*: \K[0-9]+(?= code ranges)' <<<"${out}")
reports=$(grep -cE '^[A-Za-z_][A-Za-z0-9_.]* 0x[0-9a-f]+-0x[0-9a-f]+:$' <<<"${out}")
[[ "${reports}" -eq "${ranges}" ]] || fail "${reports} store reports for ${ranges} code ranges"

# Every site line names one of the classes.
sites=$(grep -cE '^  [A-Za-z_][A-Za-z0-9_.]*\+0x[0-9a-f]+ ' <<<"${out}" || true)
classed=$(grep -cE '^  [A-Za-z_][A-Za-z0-9_.]*\+0x[0-9a-f]+ +(stack|own-data|fixed|runtime|helper) ' \
  <<<"${out}" || true)
[[ "${sites}" -gt 0 && "${sites}" -eq "${classed}" ]] ||
  fail "${classed} of ${sites} store sites carry a class"

# The total line agrees with the sites listed and with the per-class lines.
total=$(grep -oP '^total over [0-9]+ code ranges: stores: \K[0-9]+' <<<"${out}")
[[ "${total}" -eq "${sites}" ]] || fail "total ${total}, ${sites} sites listed"
sum=0
for class in stack own-data fixed runtime helper; do
  n=$(awk -v c="${class}" '$1 == c {print $2}' <<<"${out}")
  [[ -n "${n}" ]] || fail "no total line for ${class}"
  sum=$((sum + n))
done
[[ "${sum}" -eq "${total}" ]] || fail "class totals add up to ${sum}, not ${total}"

# alloc_pipe_info initialises the pipe it allocated through a register.
grep -qE '^  alloc_pipe_info\+0x[0-9a-f]+ +runtime ' <<<"${out}" ||
  fail "no run-time store in alloc_pipe_info"
echo "ok: ${ranges} code ranges, ${total} stores"
