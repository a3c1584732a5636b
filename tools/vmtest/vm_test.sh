#!/usr/bin/env bash
# vm_test.sh --kernel NAME PROGRAM [ARGS...]: a VM-tier twin of a kernel-tier
# test (see //tools/bazel:kernel_test.bzl). Runs PROGRAM inside Debian's stock
# kernel NAME (tools/vmtest/vmtest.py --kernel) under qemu, with the test's
# testdata/ and tools/workloads/ (those it has) at its working directory. Its own timeout stays under
# Bazel's "long" 900 s so the console of a slow run still comes back.
set -euo pipefail
runfiles="${TEST_SRCDIR:-$PWD}/${TEST_WORKSPACE:-o2c}"
files=()
tree="${TEST_TMPDIR:-$(mktemp -d)}/vm-files"
for dir in testdata tools/workloads; do
  if [[ -d "${runfiles}/${dir}" ]]; then
    mkdir -p "${tree}/$(dirname "${dir}")"
    cp -rL "${runfiles}/${dir}" "${tree}/${dir}"
    files=(--files "${tree}")
  fi
done
exec /usr/bin/python3 "${runfiles}/tools/vmtest/vmtest.py" --timeout 870 --gtest "${files[@]}" "$@"
