#!/bin/bash
# Builds the libFuzzer targets of //fuzz with clang (AddressSanitizer and
# UndefinedBehaviorSanitizer) and runs each for SECONDS (default 600) on its
# seed corpus, testdata/fuzz/<target>/. Prints one line per target:
#
#   policy_text_fuzzer   execs 123456  cov 1234 ft 5678  crashes 0
#
# and exits non-zero if any target crashed, leaked, timed out or failed one
# of its properties; the inputs that did are listed after the line (libFuzzer
# artifacts). Usage: tools/fuzz.sh [SECONDS] [TARGET...]
#
# The fuzz build uses its own Bazel output base: switching the C++ toolchain
# to clang in the main one would throw away its gcc build each time.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-600}"
shift || true
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  targets=(policy_text_fuzzer model_file_fuzzer dataset_csv_fuzzer dataset_file_fuzzer
           disassembler_fuzzer tree_codegen_fuzzer)
fi
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [[ "$seconds" -eq 0 ]]; then
  echo "usage: tools/fuzz.sh [SECONDS] [TARGET...]" >&2
  exit 2
fi

output_base="${O2C_FUZZ_OUTPUT_BASE:-$HOME/.cache/o2c-fuzz/$(pwd | md5sum | cut -c1-12)}"
out="${O2C_FUZZ_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/o2c-fuzz.XXXXXX")}"
mkdir -p "$output_base" "$out"

sanitizers="address,undefined"
flags=(
  # No bazel-* links in the workspace: they belong to the main build, which
  # would otherwise wander into this output base.
  --symlink_prefix=/
  --repo_env=CC=/usr/bin/clang
  --copt=-fsanitize=fuzzer-no-link,$sanitizers
  --copt=-fno-sanitize-recover=all
  --copt=-fno-omit-frame-pointer
  --copt=-O1
  --copt=-g
  --strip=never
  --linkopt=-fsanitize=$sanitizers
  # Bazel links with clang, not clang++: UBSan's C++ half must be asked for.
  --linkopt=-fsanitize-link-c++-runtime
)
bazel_fuzz() { bazel --output_base="$output_base" "$@"; }

labels=()
for t in "${targets[@]}"; do labels+=("//fuzz:$t"); done
echo "building ${labels[*]} with clang and sanitizers (log: $out/build.log)"
if ! bazel_fuzz build "${flags[@]}" "${labels[@]}" >"$out/build.log" 2>&1; then
  grep -v 'ld.gold: warning' "$out/build.log" | tail -40 >&2
  bazel_fuzz shutdown
  exit 2
fi
bin="$(bazel_fuzz info "${flags[@]}" bazel-bin 2>/dev/null)"
# The second server is not needed between runs: free its memory.
bazel_fuzz shutdown

echo "fuzzing ${#targets[@]} targets for ${seconds}s each; corpora and artifacts in $out"
failed=0
for t in "${targets[@]}"; do
  corpus="$out/$t/corpus"
  artifacts="$out/$t/artifacts"
  mkdir -p "$corpus" "$artifacts"
  log="$out/$t/log"
  # New inputs go to $corpus; the seeds in testdata stay as they are.
  status=0
  ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" \
  UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}" \
    "$bin/fuzz/$t" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$artifacts/" \
      "$corpus" "testdata/fuzz/$t" >"$log" 2>&1 || status=$?
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  last="$(grep -E '^#[0-9]+' "$log" | tail -1 || true)"
  cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")"
  ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")"
  found=("$artifacts"/*)
  [[ -e "${found[0]}" ]] || found=()
  if [[ $status -ne 0 && ${#found[@]} -eq 0 ]]; then
    found=("(exit $status with no artifact, see $log)")
  fi
  printf '%-22s execs %-10s cov %-6s ft %-6s crashes %d\n' \
    "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${#found[@]}"
  for a in "${found[@]}"; do echo "    $a"; done
  if [[ ${#found[@]} -gt 0 ]]; then
    failed=1
    grep -m1 -E 'ERROR: (AddressSanitizer|libFuzzer|LeakSanitizer)|runtime error|fuzz property failed' \
      "$log" | sed 's/^/    /' || true
  fi
done
exit "$failed"
