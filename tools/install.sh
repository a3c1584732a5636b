#!/usr/bin/env bash
# Installs O2C for products that do not build with Bazel:
#   PREFIX/lib/libo2c.a            O2C's own objects, one static archive
#   PREFIX/include/o2c/...         the public headers and what they include
#   PREFIX/lib/pkgconfig/o2c.pc    flags, and the Debian libraries to link
#   PREFIX/share/doc/o2c/events.md the event and counter contract
# Usage: bash tools/install.sh PREFIX [bazel build flags...]
# Then: PKG_CONFIG_PATH=PREFIX/lib/pkgconfig pkg-config --cflags --libs o2c
# (examples/cmake_consumer/ builds against it with CMake).
set -euo pipefail
if [[ $# -lt 1 ]]; then
  echo "usage: $0 PREFIX [bazel build flags...]" >&2
  exit 2
fi
prefix=$(realpath -m "$1")
shift
cd "$(dirname "$0")/.."

bazel build "$@" //o2c:o2c
bin=$(bazel info "$@" bazel-bin)

# Only the headers the four public ones reach: nothing of libbpf, Eigen or
# the BPF ABI (//o2c:public_headers_test checks that).
staging=$(mktemp -d)
trap 'rm -rf "${staging}"' EXIT
tar -xf "${bin}/o2c/o2c_headers.tar" -C "${staging}"
headers=(o2c/policy.h o2c/compartment.h o2c/audition_model.h o2c/enforcer.h)
declare -A seen=()
while ((${#headers[@]} > 0)); do
  header=${headers[0]}
  headers=("${headers[@]:1}")
  [[ -n "${seen[${header}]:-}" ]] && continue
  seen[${header}]=1
  [[ -f "${staging}/${header}" ]] || { echo "install.sh: ${header} not built" >&2; exit 1; }
  while read -r included; do
    headers+=("${included}")
  done < <(sed -n 's|^#include "\(o2c/[^"]*\)".*|\1|p' "${staging}/${header}")
done
for header in "${!seen[@]}"; do
  install -D -m 0644 "${staging}/${header}" "${prefix}/include/${header}"
done
install -D -m 0644 "${bin}/o2c/libo2c.a" "${prefix}/lib/libo2c.a"
install -D -m 0644 docs/events.md "${prefix}/share/doc/o2c/events.md"

# Debian's Abseil ships one shared library per component, without their
# dependencies recorded: link them all, dropped where unused (as Bazel does).
# Zydis (the call-site disassembler) ships no pkg-config file.
absl=$(find /usr/lib/x86_64-linux-gnu -maxdepth 1 -name 'libabsl_*.so' -printf '%f\n' |
  sed 's/^lib\(.*\)\.so$/-l\1/' | sort | tr '\n' ' ')
version=$(git log -1 --format=%cd --date=format:%Y.%m.%d 2>/dev/null || echo 0)
mkdir -p "${prefix}/lib/pkgconfig"
cat > "${prefix}/lib/pkgconfig/o2c.pc" <<PC
prefix=${prefix}
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: o2c
Description: On-the-fly kernel compartmentalization with eBPF and decision trees (static)
Version: ${version}
Requires: libbpf protobuf zlib
Cflags: -I\${includedir}
Libs: -L\${libdir} -lo2c -lZydis -lZycore -Wl,--push-state,--as-needed ${absl}-Wl,--pop-state -lpthread
PC
echo "install.sh: ${#seen[@]} headers, libo2c.a and o2c.pc under ${prefix}"
