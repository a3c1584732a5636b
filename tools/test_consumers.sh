#!/usr/bin/env bash
# Builds and runs the two consumers of O2C, the way products link it:
# examples/consumer/ (its own Bazel workspace, O2C through local_repository)
# and examples/cmake_consumer/ (CMake and pkg-config, against the library
# tools/install.sh installs in a temporary prefix). Their tests attach in
# this machine's kernel: run as root. Prints "<passed> <failed> <skipped>"
# gtest cases on its last line (tools/count_tests.py), the build logs above.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "${work}"' EXIT
passed=0 failed=0 skipped=0

# add_cases DIR: adds the cases of the test.xml files under DIR/bazel-testlogs.
add_cases() {
  local p f s
  read -r p f s < <(cd "$1" && /usr/bin/python3 "${root}/tools/count_tests.py")
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

echo "== examples/consumer: Bazel, local_repository"
if (cd examples/consumer && bazel test //... >&2); then :; fi
add_cases examples/consumer
# Its own Bazel server: stop it, the main workspace's keeps running.
(cd examples/consumer && bazel shutdown)

echo "== examples/cmake_consumer: tools/install.sh, pkg-config, CMake"
mkdir -p "${work}/cmake/bazel-testlogs/edr_sensor_test"
if bash tools/install.sh "${work}/prefix" >&2 &&
    PKG_CONFIG_PATH="${work}/prefix/lib/pkgconfig" \
      cmake -S examples/cmake_consumer -B "${work}/build" >&2 &&
    cmake --build "${work}/build" -j"$(nproc)" >&2; then
  (cd "${work}/build" && ctest --output-on-failure >&2)
  cp "${work}/build/edr_sensor_test.xml" "${work}/cmake/bazel-testlogs/edr_sensor_test/test.xml" ||
    true
fi
# A failed build leaves a log without cases: one failure.
touch "${work}/cmake/bazel-testlogs/edr_sensor_test/test.log"
add_cases "${work}/cmake"
echo "${passed} ${failed} ${skipped}"
