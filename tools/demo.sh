#!/usr/bin/env bash
# Runs the O2C demo on this machine's kernel. Installs what it needs first.
# Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
bazel build -c opt //examples:o2c
./bazel-bin/examples/o2c demo "$@"
