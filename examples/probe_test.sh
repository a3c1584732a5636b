#!/usr/bin/env bash
# `o2c probe` end to end. On the restricted host (kernel tier) fentry, fexit,
# fmod_ret and lsm must read refused with EPERM and kprobes with ENOENT; in
# Debian's stock kernels (VM tier, run with "vm [bookworm|trixie]") they must
# all read as working.
set -euo pipefail
runfiles="${TEST_SRCDIR}/${TEST_WORKSPACE}"
o2c="${runfiles}/examples/o2c"
if [[ "${1:-host}" == vm ]]; then
  out=$(/usr/bin/python3 "${runfiles}/tools/vmtest/vmtest.py" --kernel "${2:-bookworm}" --timeout 600 \
    "${o2c}" probe) ||
    { echo "${out}"; exit 1; }
else
  if [[ $(id -u) -ne 0 ]]; then
    echo "SKIPPED: o2c probe needs root"
    [[ "${CI:-}" == true ]] && exit 1 || exit 0
  fi
  out=$("${o2c}" probe)
fi
echo "${out}"
row() {
  local r; r=$(awk -v f="$1" '$1 == f' <<<"${out}")
  [[ -n "${r}" ]] || { echo "FAIL: no row for $1" >&2; exit 1; }
  echo "${r}"
}
expect() {  # expect FEATURE yes|NO [substring]
  local r; r=$(row "$1")
  [[ $(awk '{print $2}' <<<"${r}") == "$2" ]] || { echo "FAIL: $1 should be $2: ${r}" >&2; exit 1; }
  [[ -z "${3:-}" || "${r}" == *"$3"* ]] || { echo "FAIL: $1 should say '$3': ${r}" >&2; exit 1; }
}
if [[ "${1:-host}" == vm ]]; then
  for f in fentry fexit fmod_ret kprobe kprobe+offset lsm raw_tp ringbuf send_signal; do
    expect "$f" yes
  done
  grep -q "a violation can be DENIED" <<<"${out}" || { echo "FAIL: no deny line" >&2; exit 1; }
elif grep -qE "^kprobe +NO" <<<"${out}"; then  # the restricted host
  for f in fentry fexit fmod_ret lsm; do expect "$f" NO "Operation not permitted"; done
  expect kprobe NO ENOENT
  expect tp_btf yes
  grep -q "nothing can be denied" <<<"${out}" || { echo "FAIL: no 'nothing can be denied'" >&2; exit 1; }
fi
echo PASS
