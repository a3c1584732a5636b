// The site-probe soak (site_probe_soak.cc says what it does and checks).
#ifndef BENCH_SITE_PROBE_SOAK_H_
#define BENCH_SITE_PROBE_SOAK_H_

namespace o2c::bench {

// Runs `cycles` attach/detach cycles, printing progress and a PASSED or
// FAILED line to stdout; 0 when every check held (or when this kernel has
// no kprobes at function+offset, which it says), 1 otherwise. Needs root.
// Starts and joins its own threads; not reentrant.
int RunSiteProbeSoak(int cycles);

}  // namespace o2c::bench

#endif  // BENCH_SITE_PROBE_SOAK_H_
