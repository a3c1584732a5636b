#!/usr/bin/env bash
# Every `o2c` subcommand has --help with its flags and an example; an unknown
# subcommand or flag is refused with the nearest one suggested; and each
# command accepts every flag its help lists (none read but undescribed).
set -euo pipefail
runfiles="${TEST_SRCDIR}/${TEST_WORKSPACE}"
o2c="${runfiles}/examples/o2c"
source "${runfiles}/examples/cli_test_lib.sh"

commands=$("${o2c}" help | sed -n 's/^  \([a-z]\+\)  .*/\1/p')
[[ $(wc -w <<<"${commands}") -ge 10 ]] || fail "o2c help lists too few commands: ${commands}"
for cmd in ${commands}; do
  help=$("${o2c}" "${cmd}" --help) || fail "o2c ${cmd} --help exits non-zero"
  [[ "${help}" == "usage: o2c ${cmd}"* ]] || fail "o2c ${cmd} --help: no usage line"
  [[ "${help}" == *$'\nexample:\n  '*"o2c ${cmd}"* ]] || fail "o2c ${cmd} --help: no example"
  [[ "$("${o2c}" help "${cmd}")" == "${help}" ]] || fail "o2c help ${cmd} differs from --help"
  # Each flag of the usage line has a line of its own under "flags:".
  flags=$(sed -n '/^usage:/,/^$/p' <<<"${help}" | grep -o -- '--[a-z-]\+' || true)
  for flag in ${flags}; do
    grep -qE "^  ${flag}( |$)" <<<"${help}" || fail "o2c ${cmd} --help: ${flag} not described"
  done
  # The required flags given, and one flag that does not exist: the command
  # must reach its flag check (reading every flag it has) and name the typo.
  args=()
  for flag in $(grep -oE -- '^  --[a-z-]+ [A-Z0-9,.]+ +\(required\)' <<<"${help}" |
                awk '{print $1}'); do
    args+=("${flag}" x)
  done
  out=$("${o2c}" "${cmd}" "${args[@]}" --no-such-flag 2>&1) && fail "o2c ${cmd} accepted --no-such-flag"
  [[ "${out}" == *"unknown flag(s) --no-such-flag"* ]] ||
    fail "o2c ${cmd} --no-such-flag: ${out}"
  echo "ok: o2c ${cmd} --help"
done

expect_error "unknown flag(s) --polcy (did you mean --policy?)" \
  "${o2c}" compartment --policy x --polcy y
expect_error "unknown flag(s) --max-dept (did you mean --max-depth?)" \
  "${o2c}" train --data d.csv --out m --max-dept 3
out=$("${o2c}" atach 2>&1) && fail "o2c atach succeeded"
[[ "${out}" == *"unknown command 'atach' (did you mean 'attach'?)"* ]] || fail "o2c atach: ${out}"
out=$("${o2c}" evalute 2>&1) || true
[[ "${out}" == *"(did you mean 'evaluate'?)"* ]] || fail "o2c evalute: ${out}"
echo PASS
