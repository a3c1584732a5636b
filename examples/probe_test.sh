#!/usr/bin/env bash
# `o2c probe` end to end. On any kernel: one row per capability; raw_tp,
# ringbuf, send_signal and syscall+test_run work; every refusal names its
# errno; the deny line agrees with the lsm and fmod_ret rows. On this machine
# (kernel tier) the kprobe row agrees with the kernel's kprobe PMU and the
# header with uname. In Debian's stock kernels (VM tier, run with
# "vm [bookworm|trixie]") the trampoline programs, kprobes and BPF LSM all
# work.
set -euo pipefail
runfiles="${TEST_SRCDIR}/${TEST_WORKSPACE}"
o2c="${runfiles}/examples/o2c"
tier="${1:-host}"
if [[ "${tier}" == vm ]]; then
  out=$(/usr/bin/python3 "${runfiles}/tools/vmtest/vmtest.py" --kernel "${2:-bookworm}" \
    --timeout 600 "${o2c}" probe) ||
    { echo "${out}"; exit 1; }
else
  if [[ $(id -u) -ne 0 ]]; then
    echo "SKIPPED: o2c probe needs root"
    [[ "${CI:-}" == true ]] && exit 1 || exit 0
  fi
  out=$("${o2c}" probe)
fi
echo "${out}"
fail() { echo "FAIL: $*" >&2; exit 1; }
row() {
  local r; r=$(awk -v f="$1" '$1 == f' <<<"${out}")
  [[ -n "${r}" ]] || fail "no row for $1"
  echo "${r}"
}
works() { [[ $(awk '{print $2}' <<<"$(row "$1")") == yes ]]; }
expect() {  # expect CAPABILITY yes|NO
  local r; r=$(row "$1")
  [[ $(awk '{print $2}' <<<"${r}") == "$2" ]] || fail "$1 should be $2: ${r}"
}

capabilities=(tp_btf raw_tp tracepoint fentry fexit fmod_ret kprobe kprobe+offset lsm uprobe
              syscall+test_run ringbuf send_signal task_storage kmem_cache_kfunc)
rows=$(awk '$2 == "yes" || $2 == "NO"' <<<"${out}" | wc -l)
[[ "${rows}" -eq ${#capabilities[@]} ]] || fail "${rows} rows, want ${#capabilities[@]}"
for c in "${capabilities[@]}"; do row "$c" >/dev/null; done

# What every kernel O2C supports must offer.
for c in raw_tp ringbuf send_signal syscall+test_run; do expect "$c" yes; done

# A refusal says why, with the errno's message (strerror).
errno_messages=$(/usr/bin/python3 -c 'import os; print("\n".join(os.strerror(e) for e in range(1, 134)))')
while read -r c verdict detail; do
  [[ -n "${detail}" ]] || fail "$c is refused without a reason"
  grep -qFf <(cat <<<"${errno_messages}") <<<"${detail}" || fail "$c: no errno in '${detail}'"
done < <(awk '$2 == "NO"' <<<"${out}")

if works lsm || works fmod_ret; then
  grep -q "a violation can be DENIED" <<<"${out}" || fail "lsm or fmod_ret works, no deny line"
else
  grep -q "nothing can be denied" <<<"${out}" || fail "no lsm, no fmod_ret, no 'nothing can be denied'"
fi

if [[ "${tier}" == vm ]]; then
  # Debian's 6.1 runs trampolines, kprobes and BPF LSM.
  for c in fentry fexit fmod_ret kprobe kprobe+offset lsm; do expect "$c" yes; done
else
  [[ $(head -1 <<<"${out}") == "kernel $(uname -r),"* ]] || fail "header is not 'kernel $(uname -r)'"
  if [[ -e /sys/bus/event_source/devices/kprobe ]]; then expect kprobe yes; else
    expect kprobe NO
    [[ "$(row kprobe)" == *ENOENT* ]] || fail "kprobe without a kprobe PMU should be ENOENT"
  fi
fi
echo PASS
