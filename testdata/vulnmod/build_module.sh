#!/usr/bin/env bash
# build_module.sh OUT.ko SRC...: builds the VM tier's test module against the
# headers of the kernel tools/vmtest/fetch_kernel.sh cached (Debian's
# linux-headers package of that version, which tools/setup.sh installs).
set -euo pipefail
out="$1"
shift
cache="${O2C_VMTEST_CACHE:-/var/cache/o2c-vmtest}"
if [[ ! -f "${cache}/current/VERSION" ]]; then
  echo "build_module.sh: no VM kernel in ${cache}: run tools/setup.sh" >&2
  exit 1
fi
version=$(cat "${cache}/current/VERSION")
headers="/usr/src/linux-headers-${version}"
if [[ ! -f "${headers}/Makefile" ]]; then
  echo "build_module.sh: ${headers} is missing: run tools/setup.sh" \
    "(it installs linux-headers-${version})" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "${work}"' EXIT
cp "$@" "${work}/"
make -s -C "${headers}" M="${work}" modules >"${work}/build.log" 2>&1 || {
  cat "${work}/build.log" >&2
  exit 1
}
cp "${work}/vulnmod.ko" "${out}"
