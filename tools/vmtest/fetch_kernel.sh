#!/usr/bin/env bash
# fetch_kernel.sh [NAME...]: fetches Debian's stock kernels for the VM tier,
# once per machine, into ${O2C_VMTEST_CACHE:-/var/cache/o2c-vmtest}/<version>/
# (never into /boot). NAME is a Debian suite, one guest kernel each:
#   bookworm   Debian 12, 6.1 LTS: the test module (testdata/vulnmod) is
#              built for it, so its headers come too
#   trixie     Debian 13, 6.12 LTS
# (default: both). Each <version>/ holds
#   vmlinux          the uncompressed kernel (boots directly through PVH,
#                    skipping the decompression of vmlinuz under TCG)
#   vmlinuz, config  the packaged kernel and its configuration
#   modules/, headers/  bookworm only: its modules tree (with modules.dep)
#                    and linux-headers
#   VERSION          e.g. 6.1.0-56-amd64
# and ${cache}/current-NAME points at it (${cache}/current too for bookworm:
# the module's kernel). The version is what linux-image-amd64 depends on in
# that suite today: never hard-coded. The machine's own suite is resolved with
# the machine's apt; any other suite with a private apt configuration under
# ${cache}/apt-NAME (the mirror of the machine's sources, that suite swapped
# in), so the machine's own sources never change. Idempotent. Needs root.
set -euo pipefail
shopt -s nullglob

cache="${O2C_VMTEST_CACHE:-/var/cache/o2c-vmtest}"
module_kernel=bookworm
host_suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
work=""
trap 'rm -rf "${work}"' EXIT

# The URI of the machine's Debian archive: the source that serves its own
# suite, in one-line (sources.list) or deb822 (*.sources) form.
debian_mirror() {
  local files=() f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [[ -f "${f}" ]] && files+=("${f}")
  done
  ((${#files[@]})) || return 0
  awk -v suite="${host_suite}" '
    function flush() {
      if (uris != "" && (" " suites " ") ~ (" " suite " ")) { split(uris, u, " "); print u[1]; found = 1; exit }
      uris = ""; suites = ""
    }
    FNR == 1 { flush() }
    /^[ \t]*#/ { next }
    /^deb[ \t]/ {
      sub(/\[[^]]*\][ \t]*/, "")
      uris = $2; suites = $3; flush(); next
    }
    /^URIs:/ { uris = $0; sub(/^URIs:[ \t]*/, "", uris); next }
    /^Suites:/ { suites = $0; sub(/^Suites:[ \t]*/, "", suites); next }
    /^[ \t]*$/ { flush() }
    END { if (!found) flush() }
  ' "${files[@]}"
}

# apt_opts: the apt options that make apt-get/apt-cache see suite $1.
set_apt_opts() {
  apt_opts=()
  [[ "$1" == "${host_suite}" ]] && return
  local mirror dir="${cache}/apt-$1"
  mirror=$(debian_mirror)
  if [[ -z "${mirror}" ]]; then
    echo "fetch_kernel.sh: no source for suite '${host_suite}' in /etc/apt/sources.list{,.d}" >&2
    exit 1
  fi
  mkdir -p "${dir}/lists/partial" "${dir}/cache/archives/partial"
  echo "deb ${mirror} $1 main" >"${dir}/sources.list.new"
  mv "${dir}/sources.list.new" "${dir}/sources.list"
  apt_opts=(-o "Dir::Etc::sourcelist=${dir}/sources.list" -o "Dir::Etc::sourceparts=-"
            -o "Dir::State::Lists=${dir}/lists" -o "Dir::Cache=${dir}/cache")
}

resolve() {
  apt-cache "${apt_opts[@]}" depends linux-image-amd64 2>/dev/null |
    awk '/Depends: linux-image-[0-9]/ {print $2; exit}' || true  # empty: unknown here
}

# The uncompressed vmlinux inside a bzImage: the boot protocol's header says
# where the payload (the compressed kernel, then its le32 size) is.
extract_vmlinux() {
  python3 - "$1" "$2" <<'PY'
import struct, subprocess, sys
vmlinuz, vmlinux = sys.argv[1:3]
data = open(vmlinuz, "rb").read()
if data[0x202:0x206] != b"HdrS":
    sys.exit(f"fetch_kernel.sh: {vmlinuz} is not a bzImage (no HdrS)")
setup_sects = data[0x1f1] or 4
offset, length = struct.unpack_from("<II", data, 0x248)
start = (setup_sects + 1) * 512 + offset
payload = data[start:start + length]
stream, size = payload[:-4], struct.unpack("<I", payload[-4:])[0]
tools = {b"\xfd7zXZ\x00": "xz", b"\x28\xb5\x2f\xfd": "zstd"}
tool = next((t for magic, t in tools.items() if stream.startswith(magic)), None)
if tool is None:
    sys.exit(f"fetch_kernel.sh: {vmlinuz}: payload starts {stream[:6].hex()}, "
             "neither xz nor zstd")
out = subprocess.run([tool, "-dc"], input=stream, capture_output=True, check=True).stdout
if out[:4] != b"\x7fELF" or len(out) != size:
    sys.exit(f"fetch_kernel.sh: {vmlinuz}: the {tool} payload is not a {size}-byte ELF")
open(vmlinux, "wb").write(out)
PY
}

fetch() {
  local name="$1" image_pkg version dir
  set_apt_opts "${name}"
  image_pkg=$(resolve)
  if [[ -z "${image_pkg}" ]]; then
    apt-get "${apt_opts[@]}" update -q >/dev/null  # package lists absent or stale
    image_pkg=$(resolve)
  fi
  if [[ -z "${image_pkg}" ]]; then
    echo "fetch_kernel.sh: cannot resolve linux-image-amd64 in ${name}" >&2
    exit 1
  fi
  version=${image_pkg#linux-image-}
  dir="${cache}/${version}"
  if [[ -s "${dir}/vmlinux" && -f "${dir}/VERSION" &&
        ("${name}" != "${module_kernel}" || -d "${dir}/headers") ]]; then
    echo "fetch_kernel.sh: ${name} ${version} already in ${dir}"
  else
    echo "fetch_kernel.sh: fetching ${name} ${version} into ${dir}"
    work=$(mktemp -d)
    chmod 755 "${work}"  # apt-get download writes as _apt
    local packages=("${image_pkg}")
    if [[ "${name}" == "${module_kernel}" ]]; then
      # The headers' own dependencies name the common headers and kbuild packages.
      packages+=("linux-headers-${version}" $(apt-cache "${apt_opts[@]}" depends \
        "linux-headers-${version}" | awk '/Depends: linux-(headers|kbuild)-/ {print $2}'))
    fi
    # Lists older than the archive name packages it no longer serves.
    (cd "${work}" && apt-get "${apt_opts[@]}" download -q "${packages[@]}" >/dev/null) ||
      { apt-get "${apt_opts[@]}" update -q >/dev/null &&
        (cd "${work}" && apt-get "${apt_opts[@]}" download -q "${packages[@]}" >/dev/null); }
    mkdir -p "${dir}.tmp"
    rm -rf "${dir}.tmp"/*
    for deb in "${work}"/*.deb; do
      dpkg-deb -x "${deb}" "${work}/root"
    done
    cp "${work}/root/boot/vmlinuz-${version}" "${dir}.tmp/vmlinuz"
    cp "${work}/root/boot/config-${version}" "${dir}.tmp/config"
    if [[ "${name}" == "${module_kernel}" ]]; then
      # Indexed (modules.dep) for vmtest.py --module, which asks modprobe.
      depmod -b "${work}/root" "${version}"
      mv "${work}/root/lib/modules/${version}" "${dir}.tmp/modules"
      # Headers: the arch tree links to the common tree and to kbuild by
      # absolute /usr/src paths; keep the unpacked /usr tree and fix the
      # links relative to it.
      mv "${work}/root/usr" "${dir}.tmp/usr"
      ln -sfn "usr/src/linux-headers-${version}" "${dir}.tmp/headers"
    fi
    extract_vmlinux "${dir}.tmp/vmlinuz" "${dir}.tmp/vmlinux"
    echo "${version}" >"${dir}.tmp/VERSION"
    rm -rf "${dir}" "${work}"
    mv "${dir}.tmp" "${dir}"
    echo "fetch_kernel.sh: ${name} ${version} ready ($(du -sh "${dir}" | cut -f1))"
  fi
  ln -sfn "${version}" "${cache}/current-${name}"
  if [[ "${name}" == "${module_kernel}" ]]; then
    ln -sfn "${version}" "${cache}/current"
  fi
}

names=("$@")
((${#names[@]})) || names=(bookworm trixie)
mkdir -p "${cache}"
for name in "${names[@]}"; do
  case "${name}" in
    bookworm | trixie) fetch "${name}" ;;
    *) echo "fetch_kernel.sh: unknown kernel '${name}' (bookworm or trixie)" >&2; exit 1 ;;
  esac
done
