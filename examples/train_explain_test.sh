#!/usr/bin/env bash
# `o2c train` and `o2c explain` end to end on testdata/ml/audition_small.csv,
# and the errors a user meets: a missing flag, an unknown flag, a CSV with a
# bad cell (named by file and line), a model file cut in half.
set -euo pipefail
runfiles="${TEST_SRCDIR}/${TEST_WORKSPACE}"
o2c="${runfiles}/examples/o2c"
csv="${runfiles}/testdata/ml/audition_small.csv"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
source "${runfiles}/examples/cli_test_lib.sh"

out=$("${o2c}" train --data "${csv}" --out "${tmp}/m.o2cm" --max-depth 6 2>&1)
echo "${out}"
[[ -s "${tmp}/m.o2cm" ]] || fail "no model written"
grep -qE "^accuracy 0\.(8|9)" <<<"${out}" || fail "held-out accuracy below 0.8"

out=$("${o2c}" explain --model "${tmp}/m.o2cm" --png "${tmp}/m.png" 2>&1)
echo "${out}"
for f in ptr0_class slab_size free_site_in_compartment age_ms; do
  grep -q "^  ${f} " <<<"${out}" || fail "explain does not rank feature ${f}"
done
[[ $(head -c 4 "${tmp}/m.png" | tail -c 3) == PNG ]] || fail "${tmp}/m.png is not a PNG"

expect_error "o2c train: --data is required" "${o2c}" train --out "${tmp}/x.o2cm"
expect_error "o2c explain: --model is required (--modle was given: a misspelling?)" \
  "${o2c}" explain --modle "${tmp}/m.o2cm"
expect_error "o2c explain: unknown flag(s) --pgn" "${o2c}" explain --model "${tmp}/m.o2cm" --pgn x
{ head -n 9 "${csv}"; echo "64,2,three,4,1"; } >"${tmp}/bad.csv"
expect_error "bad.csv:10:" "${o2c}" train --data "${tmp}/bad.csv" --out "${tmp}/x.o2cm"
size=$(stat -c %s "${tmp}/m.o2cm")
head -c $((size / 2)) "${tmp}/m.o2cm" >"${tmp}/cut.o2cm"
expect_error "cut.o2cm: truncated or corrupted" "${o2c}" explain --model "${tmp}/cut.o2cm"
echo PASS
