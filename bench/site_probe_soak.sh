#!/usr/bin/env bash
# site_probe_soak.sh [CYCLES] [KERNEL]: the site-probe soak (site_probe_soak.cc)
# in Debian's stock kernel (bookworm: 6.1, the default; trixie: 6.12) under
# three qemu configurations, to tell a kernel bug from an emulator artefact:
#   tcg,thread=single  -smp 2  (the VM tier's default: one host thread)
#   tcg,thread=multi   -smp 2  (one host thread per guest CPU)
#   tcg,thread=multi   -smp 1  (no second CPU to run stale code)
# A run fails on the soak's own checks or on any Oops/BUG/WARNING in the
# guest's log (tools/vmtest/vmtest.py). Prints one result line per
# configuration at the end; exits non-zero if any failed.
# Run from the repository root: bench/site_probe_soak.sh 1000
set -uo pipefail
cycles="${1:-100}"
kernel="${2:-bookworm}"
bazel build -c opt //bench:site_probe_soak >/dev/null || exit 1
binary="$(bazel info -c opt bazel-bin)/bench/site_probe_soak"
summary=()
status=0
for config in "tcg,thread=single 2" "tcg,thread=multi 2" "tcg,thread=multi 1"; do
  read -r accel smp <<<"${config}"
  log="$(mktemp)"
  start=$(date +%s)
  python3 tools/vmtest/vmtest.py --kernel "${kernel}" --accel "${accel}" --smp "${smp}" \
    --timeout 7200 "${binary}" "${cycles}" 2>&1 | tee "${log}"
  rc=${PIPESTATUS[0]}
  result="$(grep -E 'site_probe_soak: (PASSED|FAILED)' "${log}" | tail -1)"
  bad="$(grep -cE 'Oops|BUG: |WARNING: |Kernel panic|general protection' "${log}")"
  summary+=("${kernel} ${accel} -smp ${smp}: exit ${rc}, $(( $(date +%s) - start )) s, ${bad} kernel error lines: ${result:-no result}")
  [[ ${rc} -ne 0 ]] && status=1
  rm -f "${log}"
done
printf '%s\n' "${summary[@]}"
exit ${status}
