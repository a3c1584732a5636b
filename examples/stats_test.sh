#!/usr/bin/env bash
# `o2c attach --stats-file` and `o2c stats` on this kernel: a shell pipeline
# loop (bash makes each pipe, cat reads it) runs with O2C attached to it; the
# stats file, read mid-attach and after, parses with the Prometheus client's
# own parser, has HELP and TYPE for every metric, only bounded labels, and
# counts the loop's pipes. A stale or foreign file is refused.
set -euo pipefail
runfiles="${TEST_SRCDIR}/${TEST_WORKSPACE}"
o2c="${runfiles}/examples/o2c"
source "${runfiles}/examples/cli_test_lib.sh"
if [[ $(id -u) -ne 0 ]]; then
  echo "SKIPPED: o2c attach needs root"
  [[ "${CI:-}" == true ]] && exit 1 || exit 0
fi
stats="${TEST_TMPDIR}/o2c.prom"

# check_stats FILE MIN_TRACKED: parses FILE's metrics, prints the tracked count.
check_stats() {
  /usr/bin/python3 - "$1" "$2" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
families = {f.name: f for f in text_string_to_metric_families(text)}
allowed = {"compartment", "hook", "verdict", "channel"}
for name, family in families.items():
    assert family.documentation, f"{name}: no HELP"
    assert family.type in ("counter", "gauge"), f"{name}: TYPE {family.type}"
    for sample in family.samples:
        assert sample.labels.get("compartment") == "pipe", sample
        assert set(sample.labels) <= allowed, f"{name}: labels {sorted(sample.labels)}"
# The client names a counter family without its _total suffix.
tracked = families["o2c_objects_tracked"].samples[0].value
assert tracked >= int(sys.argv[2]), f"tracked {tracked} < {sys.argv[2]}"
assert families["o2c_violations"].samples[0].value == 0, "a violation in a shell loop"
print(int(tracked))
PY
}

bash -c 'while :; do echo x | cat > /dev/null; done' &
loop=$!
trap 'kill ${loop} 2> /dev/null || true' EXIT
"${o2c}" attach --policy "${runfiles}/testdata/policies/pipe.policy" \
  --model "${runfiles}/testdata/prepare/pipe.o2cm" --tgid "${loop}" --seconds 4 \
  --stats-file "${stats}" --stats-interval 1 > /dev/null &
attach=$!
# The first write comes once attached (loading takes a while under load).
for ((i = 0; i < 600; ++i)); do
  [[ -f "${stats}" ]] && break
  kill -0 "${attach}" 2> /dev/null || fail "o2c attach exited before writing ${stats}"
  sleep 0.1
done
sleep 1.5  # a rewrite with the loop's pipes in it
"${o2c}" stats --max-age 5 "${stats}" > "${TEST_TMPDIR}/mid.prom" || fail "o2c stats mid-attach"
mid=$(check_stats "${TEST_TMPDIR}/mid.prom" 1) || fail "mid-attach stats: $(cat "${stats}")"
echo "ok: mid-attach: ${mid} pipes tracked"
wait "${attach}" || fail "o2c attach failed"
kill -0 "${loop}" || fail "the loop died under O2C"
"${o2c}" stats "${stats}" > "${TEST_TMPDIR}/final.prom" || fail "o2c stats after detach"
final=$(check_stats "${TEST_TMPDIR}/final.prom" "$((mid + 1))") || fail "final stats"
echo "ok: after detach: ${final} pipes tracked"

touch -d '-120 seconds' "${stats}"
expect_error "last written" "${o2c}" stats --max-age 60 "${stats}"
echo "# not o2c" > "${TEST_TMPDIR}/other.prom"
expect_error "not a stats file of o2c attach" "${o2c}" stats "${TEST_TMPDIR}/other.prom"
expect_error "give one FILE" "${o2c}" stats
echo PASS
