#!/usr/bin/env bash
# Fetches Debian's stock kernel for the VM tier, once per machine, into
# ${O2C_VMTEST_CACHE:-/var/cache/o2c-vmtest}/<version>/ (never into /boot):
#   vmlinux          the uncompressed kernel (boots directly through PVH, ~3 s
#                    faster than decompressing vmlinuz under TCG)
#   vmlinuz          the packaged kernel (fallback)
#   modules/         its modules tree
#   headers/         linux-headers for building the test module (kbuild)
#   VERSION          e.g. 6.1.0-56-amd64
# and points ${cache}/current at it. The version comes from what
# linux-image-amd64 depends on today: never hard-coded. Needs apt (root).
set -euo pipefail

cache="${O2C_VMTEST_CACHE:-/var/cache/o2c-vmtest}"
resolve() {
  apt-cache depends linux-image-amd64 2>/dev/null |
    awk '/Depends: linux-image-[0-9]/ {print $2; exit}'
}
image_pkg=$(resolve)
if [[ -z "${image_pkg}" ]]; then
  apt-get update -q >/dev/null  # package lists absent or stale
  image_pkg=$(resolve)
fi
if [[ -z "${image_pkg}" ]]; then
  echo "fetch_kernel.sh: cannot resolve linux-image-amd64 (run apt-get update)" >&2
  exit 1
fi
version=${image_pkg#linux-image-}
dir="${cache}/${version}"
if [[ -s "${dir}/vmlinux" && -d "${dir}/headers" && -f "${dir}/VERSION" ]]; then
  ln -sfn "${version}" "${cache}/current"
  echo "fetch_kernel.sh: ${version} already in ${dir}"
  exit 0
fi

echo "fetch_kernel.sh: fetching ${version} into ${dir}"
work=$(mktemp -d)
trap 'rm -rf "${work}"' EXIT
(
  cd "${work}"
  # The headers' own dependencies name the common headers and kbuild packages.
  header_deps=$(apt-cache depends "linux-headers-${version}" |
    awk '/Depends: linux-(headers|kbuild)-/ {print $2}')
  apt-get download -q "${image_pkg}" "linux-headers-${version}" ${header_deps} >/dev/null
)
mkdir -p "${dir}.tmp"
rm -rf "${dir}.tmp"/*
for deb in "${work}"/*.deb; do
  dpkg-deb -x "${deb}" "${work}/root"
done
cp "${work}/root/boot/vmlinuz-${version}" "${dir}.tmp/vmlinuz"
cp "${work}/root/boot/config-${version}" "${dir}.tmp/config"
mv "${work}/root/lib/modules/${version}" "${dir}.tmp/modules"
# Headers: the arch tree links to the common tree and to kbuild by absolute
# /usr/src paths; keep the unpacked /usr tree and fix the links relative to it.
mv "${work}/root/usr" "${dir}.tmp/usr"
ln -sfn "usr/src/linux-headers-${version}" "${dir}.tmp/headers"

# The uncompressed vmlinux: the xz stream inside vmlinuz.
python3 - "${dir}.tmp/vmlinuz" "${dir}.tmp/vmlinux" <<'PY'
import lzma, sys
data = open(sys.argv[1], "rb").read()
magic = b"\xfd7zXZ\x00"
start = data.find(magic)
if start < 0:
    sys.exit("fetch_kernel.sh: no xz stream in " + sys.argv[1])
out = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data[start:])
if out[:4] != b"\x7fELF":
    sys.exit("fetch_kernel.sh: the xz stream is not an ELF vmlinux")
open(sys.argv[2], "wb").write(out)
PY
echo "${version}" > "${dir}.tmp/VERSION"
rm -rf "${dir}"
mv "${dir}.tmp" "${dir}"
ln -sfn "${version}" "${cache}/current"
echo "fetch_kernel.sh: ${version} ready ($(du -sh "${dir}" | cut -f1))"
