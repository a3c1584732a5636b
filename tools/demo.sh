#!/usr/bin/env bash
# Runs the O2C demo on this machine's kernel. Installs what it needs first.
# Run as root. The preparation phase runs first (o2c prepare: profile the
# pipe compartment under a workload, train, compile, check in the kernel),
# and the demo then enforces with that freshly trained model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
bazel build -c opt //examples:o2c
o2c=./bazel-bin/examples/o2c
out=$(mktemp -d /tmp/o2c-demo.XXXXXX)
echo "== 0. Preparation: o2c prepare (profile, dataset, train, compile) into ${out}"
"${o2c}" prepare --policy testdata/policies/pipe.policy \
  --workload "tools/workloads/pipe_workload.sh 3" --out "${out}"
echo
"${o2c}" demo --model "${out}/model.o2cm" "$@"
