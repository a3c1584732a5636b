#!/usr/bin/env bash
# Installs every Debian package O2C needs to build, test and run its demo.
# Idempotent: apt-get skips what is already installed. Run as root.
set -euo pipefail

packages=(
  # build
  bazel-bootstrap build-essential clang llvm
  # the CMake consumer of the installed library (examples/cmake_consumer/)
  cmake pkg-config
  # BPF toolchain and libraries (shared and static)
  bpftool libbpf-dev libelf-dev zlib1g-dev
  # C++ libraries
  libabsl-dev libeigen3-dev libprotobuf-dev protobuf-compiler
  libgtest-dev libgmock-dev googletest libbenchmark-dev libzydis-dev
  # tree pictures, model comparison
  graphviz python3 python3-sklearn
  # a reader of Prometheus' text format, for the stats test
  python3-prometheus-client
  # VM tier: Debian's stock kernel under qemu, busybox initramfs, module builds
  qemu-system-x86 busybox-static cpio xz-utils zstd kmod dwarves
  # real workloads nobody here wrote (the enforcer stress test; the
  # nf_tables, IPv6 and route-classifier components' own tools and traffic)
  stress-ng nftables iproute2 iputils-ping apache2-utils curl
)

if [[ $(id -u) -ne 0 ]]; then
  echo "setup.sh: must run as root (apt-get install)" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "setup.sh: all ${#packages[@]} packages already installed"
else
  echo "setup.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The VM tier's kernels: Debian 12's and Debian 13's stock linux-image-amd64,
# cached outside the source tree (tools/vmtest/fetch_kernel.sh; a no-op once
# cached).
bash "$(dirname "$0")/vmtest/fetch_kernel.sh" bookworm trixie
# The VM tier's test module (testdata/vulnmod) is built against Debian 12's
# kernel headers: Debian's linux-headers package of the same version.
vm_version=$(cat "${O2C_VMTEST_CACHE:-/var/cache/o2c-vmtest}/current-bookworm/VERSION")
if ! dpkg-query -W -f='${Status}' "linux-headers-${vm_version}" 2>/dev/null |
    grep -q "install ok installed"; then
  echo "setup.sh: installing linux-headers-${vm_version}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends "linux-headers-${vm_version}" ||
    { apt-get update -q && apt-get install -y -q --no-install-recommends "linux-headers-${vm_version}"; }
fi
