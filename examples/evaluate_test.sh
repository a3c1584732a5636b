#!/usr/bin/env bash
# `o2c evaluate` on rows of testdata/ml/audition_small.csv the model was not
# trained on (with and without a free_path column), and the errors a user
# meets: a column the model needs is missing, the CSV has another feature
# schema, the model file is cut in half, a file does not exist.
set -euo pipefail
runfiles="${TEST_SRCDIR}/${TEST_WORKSPACE}"
o2c="${runfiles}/examples/o2c"
csv="${runfiles}/testdata/ml/audition_small.csv"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
source "${runfiles}/examples/cli_test_lib.sh"

# The first 400 rows train, the other 200 are scored.
grep '^#' "${csv}" >"${tmp}/directives"
# No pipe into head: under pipefail the writer can die of SIGPIPE when head exits first.
header=$(awk '!/^#/ {print; exit}' "${csv}")
grep -v '^#' "${csv}" | tail -n +2 >"${tmp}/rows"
[[ $(wc -l <"${tmp}/rows") -eq 600 ]] || fail "audition_small.csv no longer has 600 rows"
{ cat "${tmp}/directives"; echo "${header}"; head -n 400 "${tmp}/rows"; } >"${tmp}/train.csv"
{ cat "${tmp}/directives"; echo "${header}"; tail -n 200 "${tmp}/rows"; } >"${tmp}/test.csv"
"${o2c}" train --data "${tmp}/train.csv" --out "${tmp}/m.o2cm" --max-depth 6 --test-fraction 0

out=$("${o2c}" evaluate --model "${tmp}/m.o2cm" --data "${tmp}/test.csv" 2>&1)
echo "${out}"
grep -q "^data ${tmp}/test.csv: 200 rows x 4 features the model reads$" <<<"${out}" ||
  fail "evaluate does not say it scored 200 rows"
grep -qE "^accuracy 0\.(8|9)[0-9]+ .*\(positive class: kernel, 200 samples\)$" <<<"${out}" ||
  fail "held-out accuracy below 0.8 or not over 200 samples"
grep -qE '^own +[0-9]+ +[0-9]+$' <<<"${out}" || fail "no confusion matrix row for own"
grep -qE '^class +rows +precision +recall +FPR +FNR$' <<<"${out}" || fail "no per-class table"
own_rows=$(awk '$1 == "own" && NF == 6 {print $2}' <<<"${out}")
kernel_rows=$(awk '$1 == "kernel" && NF == 6 {print $2}' <<<"${out}")
[[ $((own_rows + kernel_rows)) -eq 200 ]] || fail "per-class rows ${own_rows}+${kernel_rows} != 200"
grep -q "^per-path metrics skipped: ${tmp}/test.csv has no free_path column$" <<<"${out}" ||
  fail "no line saying per-path metrics are skipped"

# A free_path column (enumerated) gives one line per path; the rows add up.
{
  cat "${tmp}/directives"
  echo "#values free_path 0=pipe_release 1=sock_release 2=kfree_skb"
  echo "${header},free_path"
  tail -n 200 "${tmp}/rows" | awk '{print $0 "," NR % 3}'
} >"${tmp}/paths.csv"
out=$("${o2c}" evaluate --model "${tmp}/m.o2cm" --data "${tmp}/paths.csv" 2>&1)
echo "${out}"
grep -q "^per free path (positive class: kernel; 95% Wilson intervals):$" <<<"${out}" ||
  fail "no per-path table"
rate='[01]\.[0-9]{4} \[[01]\.[0-9]{4}, [01]\.[0-9]{4}\] of [0-9]+'
for path in pipe_release sock_release kfree_skb; do
  grep -qE "^${path} +6[67] +[01]\.[0-9]{4} \[[01]\.[0-9]{4}, [01]\.[0-9]{4}\] of 6[67] +${rate} +${rate}$" \
    <<<"${out}" || fail "no metrics line with intervals for path ${path}"
done
grep -q "ignored columns" <<<"${out}" && fail "free_path reported as an ignored column"

# o2c train drops a free_path column: a model trained on it needs no such
# column to be scored.
train_out=$("${o2c}" train --data "${tmp}/paths.csv" --out "${tmp}/p.o2cm" --test-fraction 0 2>&1)
grep -q "column free_path says how a sample was freed, not what the object is: not trained on" \
  <<<"${train_out}" || fail "train did not say it dropped free_path"
"${o2c}" evaluate --model "${tmp}/p.o2cm" --data "${tmp}/test.csv" >/dev/null ||
  fail "a model trained beside free_path needs it"

# Errors.
cut -d, -f1-3,5 "${tmp}/test.csv" | grep -v '^#feature age_ms' >"${tmp}/no_age.csv"
expect_error "no_age.csv: no column age_ms, which the model needs" \
  "${o2c}" evaluate --model "${tmp}/m.o2cm" --data "${tmp}/no_age.csv"
{
  echo "#classes own kernel"
  echo "x0,x1,x2,x3,label"
  tail -n 200 "${tmp}/rows"
} >"${tmp}/other.csv"
expect_error "other.csv: another feature schema: its columns (x0,x1,x2,x3) share none with the model's features (slab_size,ptr0_class,free_site_in_compartment,age_ms)" \
  "${o2c}" evaluate --model "${tmp}/m.o2cm" --data "${tmp}/other.csv"
sed 's/^#values ptr0_class 0=NONE/#values ptr0_class 0=NOTHING/' "${tmp}/test.csv" >"${tmp}/enums.csv"
expect_error "enums.csv: another feature schema than the model's: " \
  "${o2c}" evaluate --model "${tmp}/m.o2cm" --data "${tmp}/enums.csv"
size=$(stat -c %s "${tmp}/m.o2cm")
head -c $((size / 2)) "${tmp}/m.o2cm" >"${tmp}/cut.o2cm"
expect_error "cut.o2cm: truncated or corrupted" \
  "${o2c}" evaluate --model "${tmp}/cut.o2cm" --data "${tmp}/test.csv"
expect_error "${tmp}/absent.csv" "${o2c}" evaluate --model "${tmp}/m.o2cm" --data "${tmp}/absent.csv"
expect_error "${tmp}/absent.o2cm" "${o2c}" evaluate --model "${tmp}/absent.o2cm" --data "${tmp}/test.csv"
expect_error "o2c evaluate: --data is required" "${o2c}" evaluate --model "${tmp}/m.o2cm"
echo PASS
