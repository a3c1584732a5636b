// extractor_bench: what the audition feature extractor (lib/features.bpf.h)
// costs per free, measured where it runs on every free: the profiler,
// system-wide, on fs/pipe.c's compartment while a loop of eventfd()s, none
// of whose frees is pipe.c's, runs.
//
// Two configurations, in interleaved rounds (A B, B A, ...), each timing an
// eventfd() + close loop with the kernel's BPF run-time statistics on:
//   (A) negative_rate 0: every free is counted and skipped before the
//       extractor (the floor of the free programs);
//   (B) negative_rate 1: every free is extracted and emitted as a sample.
// Per round, the free programs' mean ns per run; each row prints the median
// over rounds, and B - A is the extractor plus one ring-buffer record.
// Built against another extractor (a checkout of another commit), the same
// file gives that extractor's row: compare the B - A lines.
// Run as root: bazel run -c opt //bench:extractor_bench [-- ROUNDS ITERATIONS]
#include <bpf/bpf.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "bench/program_stats.h"
#include "o2c/bpf/kernel/capabilities.h"
#include "o2c/bpf/loader/kmem_hooks.h"
#include "o2c/bpf/profiler_programs.h"
#include "o2c/testonly/pipe_functions.h"

namespace o2c::bench {
namespace {

// Runs and run time summed over the free programs among `ids`.
struct FreeCost {
  uint64_t runs = 0, run_time_ns = 0;
};

FreeCost FreeProgramsCost(const std::set<uint32_t>& ids) {
  FreeCost cost;
  for (const ProgramCost& p : CostOf(ids)) {
    if (!absl::StrContains(p.name, "free")) continue;
    cost.runs += p.runs;
    cost.run_time_ns += p.run_time_ns;
  }
  return cost;
}

void EventfdLoop(int iterations) {
  for (int i = 0; i < iterations; ++i) {
    int fd = eventfd(0, 0);
    if (fd < 0) {
      std::perror("eventfd");
      std::exit(1);
    }
    close(fd);
  }
}

struct Profiler {
  std::unique_ptr<bpf::ProfilerPrograms> programs;
  std::set<uint32_t> ids;  // its programs
};

Profiler LoadProfiler(uint32_t negative_rate, bpf::KmemHookFlavor flavor,
                      const bpf::Kallsyms& kallsyms) {
  bpf::ProfilerConfig config;
  if (absl::Status s = UsePipeFunctions(kallsyms, config); !s.ok()) {
    std::fprintf(stderr, "extractor_bench: %s\n", std::string(s.message()).c_str());
    std::exit(1);
  }
  config.negative_rate = negative_rate;
  config.flavor = flavor;
  // Every free of the whole system is a sample: room for a round of them, as
  // a full ring's lost samples skip the extractor.
  config.ringbuf_bytes = 1u << 27;
  const std::set<uint32_t> before = LoadedProgramIds();
  auto programs = bpf::ProfilerPrograms::Load(config);
  if (!programs.ok()) {
    std::fprintf(stderr, "extractor_bench: %s\n", std::string(programs.status().message()).c_str());
    std::exit(1);
  }
  Profiler p{*std::move(programs), {}};
  for (uint32_t id : LoadedProgramIds()) {
    if (!before.count(id)) p.ids.insert(id);
  }
  return p;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int Run(int rounds, int iterations) {
  const auto caps = bpf::KernelCapabilities::Probe();
  auto flavor = bpf::ChooseKmemHookFlavor(caps);
  if (!flavor.ok()) {
    std::fprintf(stderr, "extractor_bench: %s\n", std::string(flavor.status().message()).c_str());
    return 1;
  }
  int stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
  if (stats_fd < 0) {
    std::perror("bpf_enable_stats");
    return 1;
  }
  auto kallsyms = bpf::Kallsyms::FromFile();
  if (!kallsyms.ok()) {
    std::fprintf(stderr, "extractor_bench: %s\n", std::string(kallsyms.status().message()).c_str());
    return 1;
  }
  Profiler configs[2] = {LoadProfiler(0, *flavor, *kallsyms), LoadProfiler(1, *flavor, *kallsyms)};
  const char* names[2] = {"(A) rate 0: skipped before extraction",
                          "(B) rate 1: extracted and emitted"};
  std::vector<double> ns_per_run[2];
  uint64_t samples = 0, lost = 0;
  for (int round = 0; round < rounds; ++round) {
    for (int k = 0; k < 2; ++k) {
      Profiler& p = configs[(round + k) % 2];
      const int which = (round + k) % 2;
      const FreeCost before = FreeProgramsCost(p.ids);
      if (!p.programs->Attach().ok()) return 1;
      EventfdLoop(iterations);
      p.programs->Detach();
      const FreeCost after = FreeProgramsCost(p.ids);
      const uint64_t runs = after.runs - before.runs;
      ns_per_run[which].push_back(runs ? double(after.run_time_ns - before.run_time_ns) / runs : 0);
      for (;;) {  // drain, so that the ring never fills
        auto n = p.programs->PollSamples(0, [&](const o2c_sample&) { ++samples; });
        if (!n.ok() || *n == 0) break;
      }
    }
    std::fprintf(stderr, "  round %d/%d", round + 1, rounds);
  }
  std::fprintf(stderr, "\n");
  if (auto stats = configs[1].programs->ReadStats(); stats.ok()) {
    lost = (*stats)[O2C_PSTAT_SAMPLES_LOST];
  }
  close(stats_fd);
  std::printf("free programs, eventfd + close x %d, %d rounds, %s flavour\n", iterations, rounds,
              bpf::KmemHookFlavorName(*flavor));
  std::printf("%-40s %12s\n", "config", "ns/run (median)");
  const double a = Median(ns_per_run[0]), b = Median(ns_per_run[1]);
  std::printf("%-40s %12.1f\n%-40s %12.1f\n", names[0], a, names[1], b);
  std::printf("B - A: extractor + one sample record: %.1f ns per free (%llu samples, %llu lost)\n",
              b - a, static_cast<unsigned long long>(samples),
              static_cast<unsigned long long>(lost));
  return 0;
}

}  // namespace
}  // namespace o2c::bench

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 9;
  const int iterations = argc > 2 ? std::atoi(argv[2]) : 4000;
  return o2c::bench::Run(rounds, iterations);
}
