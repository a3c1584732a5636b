# Shell helpers for the `o2c` CLI tests (sourced): fail, expect_error.

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
