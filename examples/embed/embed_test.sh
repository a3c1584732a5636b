#!/usr/bin/env bash
# examples/embed end to end: the pipe workload it runs is tracked and its
# old pipes auditioned, undisturbed (no violation), and the detach is clean.
set -euo pipefail
runfiles="${TEST_SRCDIR}/${TEST_WORKSPACE}"
embed="${runfiles}/examples/embed/embed"
fail() { echo "FAIL: $*" >&2; exit 1; }
if [[ "${1:-host}" == vm ]]; then
  tree="${TEST_TMPDIR:-$(mktemp -d)}/vm-files"
  mkdir -p "${tree}"
  cp -rL "${runfiles}/testdata" "${tree}/"
  out=$(/usr/bin/python3 "${runfiles}/tools/vmtest/vmtest.py" --timeout 600 --files "${tree}" \
    "${embed}") || { echo "${out}"; exit 1; }
else
  if [[ $(id -u) -ne 0 ]]; then
    echo "SKIPPED: embed needs root"
    [[ "${CI:-}" == true ]] && exit 1 || exit 0
  fi
  out=$("${embed}")
fi
echo "${out}"
count() { awk -v k="events $1:" '$1 " " $2 == k { print $3 }' <<<"${out}" | tr -d '\r'; }
grep -q "^workload: exited 0" <<<"${out}" || fail "the workload was disturbed"
# Every event fits the policy's ring buffer, so none is lost: exact counts.
[[ "$(count TRACKED)" == 200 ]] || fail "want 200 TRACKED events (100 pipes), got '$(count TRACKED)'"
[[ "$(count FREED)" == 200 ]] || fail "want 200 FREED events, got '$(count FREED)'"
[[ "$(count AUDITION)" == 16 ]] || fail "want 16 AUDITION events (8 old pipes), got '$(count AUDITION)'"
[[ -z "$(count VIOLATION)" && -z "$(count EVENTS_LOST)" ]] ||
  fail "violations: '$(count VIOLATION)', events lost: '$(count EVENTS_LOST)'"
grep -q "^stats: .*violations 0" <<<"${out}" || fail "stats count violations"
grep -q "^detach: clean" <<<"${out}" || fail "detach left programs behind"
echo PASS
