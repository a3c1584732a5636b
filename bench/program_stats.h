// The kernel's run-time statistics of loaded BPF programs, for benchmarks
// that time programs in place (with bpf_enable_stats(BPF_STATS_RUN_TIME) on).
#ifndef BENCH_PROGRAM_STATS_H_
#define BENCH_PROGRAM_STATS_H_

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace o2c::bench {

// The ids of every BPF program loaded now, system-wide.
std::set<uint32_t> LoadedProgramIds();

// Runs, run time and missed runs of one loaded program.
struct ProgramCost {
  std::string name;
  uint64_t runs = 0, run_time_ns = 0, misses = 0;
};

// The costs of the programs `ids` still loaded (others are skipped).
std::vector<ProgramCost> CostOf(const std::set<uint32_t>& ids);

}  // namespace o2c::bench

#endif  // BENCH_PROGRAM_STATS_H_
