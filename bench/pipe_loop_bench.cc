// pipe_loop_bench: what watching the kmem tracepoints costs the kernel.
//
// Times a pipe2() + close + close loop (2 slab allocations and 2 frees per
// iteration inside fs/pipe.c) under:
//   (a) no program,
//   (b) empty programs on the four kmem tracepoints (the floor),
//   (c) the slab-site counter over fs/pipe.c's functions (o2c/bpf/kmem_sites),
//   (d) o2c::Enforcer on testdata/policies/pipe.policy, transition phase,
//       on all four kmem tracepoints (what every compartment paid before
//       hooks were chosen from its sites),
//   (e) the same on only the tracepoints its sites need (kmalloc, kfree),
//   (f) (e) in the final phase,
//   (g) where kprobes at function+offset work: site probes (kprobes at
//       fs/pipe.c's own allocation and free calls, the free tracepoints for
//       its objects freed elsewhere).
// The enforcer runs system-wide, audit only (no kill: this is a benchmark on
// a shared machine), with the fixture model and without per-object events.
// Rounds are interleaved (a b c, b c a, c a b, ...) so that the machine's
// drift hits every row alike; each row prints the median over rounds and its
// ratio to (a). The same configurations then time an eventfd() + close loop,
// whose kmem events all come from outside the compartment: the common case,
// which the enforcer's filters must make cost close to the floor.
// Last, with the kernel's BPF run-time statistics on (which slow every
// program, so never during the timed rounds), each program's mean cost per
// run and its missed runs in each loop are printed (in the site-probe
// enforcer: per probe hit, and per run of the free tracepoint that releases
// objects freed elsewhere).
// Run as root: bazel run -c opt //bench:pipe_loop_bench [-- ROUNDS ITERATIONS]
#include <bpf/bpf.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "o2c/bpf/kernel/kallsyms.h"
#include "o2c/bpf/kernel/capabilities.h"
#include "bench/kmem_empty.skel.h"
#include "bench/program_stats.h"
#include "o2c/bpf/loader/kmem_hooks.h"
#include "o2c/bpf/kmem_sites_programs.h"
#include "o2c/bpf/loader/links.h"
#include "o2c/testonly/pipe_functions.h"
#include "o2c/bpf/loader/program_loader.h"
#include "o2c/enforcer.h"
#include "o2c/testonly/fixture_model.h"

namespace o2c::bench {
namespace {

using Clock = std::chrono::steady_clock;

double PipeLoopNsPerIteration(int iterations) {
  auto start = Clock::now();
  for (int i = 0; i < iterations; ++i) {
    int fds[2];
    if (pipe2(fds, 0) != 0) {
      std::perror("pipe2");
      std::exit(1);
    }
    close(fds[0]);
    close(fds[1]);
  }
  return std::chrono::duration<double, std::nano>(Clock::now() - start).count() /
         iterations;
}

double EventfdLoopNsPerIteration(int iterations) {
  auto start = Clock::now();
  for (int i = 0; i < iterations; ++i) {
    int fd = eventfd(0, 0);
    if (fd < 0) {
      std::perror("eventfd");
      std::exit(1);
    }
    close(fd);
  }
  return std::chrono::duration<double, std::nano>(Clock::now() - start).count() /
         iterations;
}

struct Loop {
  const char* name;
  double (*ns_per_iteration)(int iterations);
};

// Something attached for one measurement; destroying it detaches.
using Attachment = std::shared_ptr<void>;

struct Config {
  std::string name;
  std::function<absl::StatusOr<Attachment>()> attach;
  // The attachment's own programs (null: those loaded while it attached,
  // which on a shared machine may include other sessions' programs).
  std::function<std::vector<uint32_t>(const Attachment&)> program_ids;
};

std::vector<uint32_t> EnforcerProgramIds(const Attachment& attached) {
  return std::static_pointer_cast<Enforcer>(attached)->ProgramIds();
}

absl::StatusOr<Attachment> AttachEmpty(bpf::KmemHookFlavor flavor) {
  struct Empty {
    kmem_empty_bpf* skel = nullptr;
    std::vector<bpf::LinkPtr> links;
    ~Empty() {
      links.clear();
      kmem_empty_bpf__destroy(skel);
    }
  };
  auto empty = std::make_shared<Empty>();
  empty->skel = kmem_empty_bpf__open();
  if (empty->skel == nullptr) return bpf::LibbpfError(-errno, "kmem_empty: open");
  absl::Status s = bpf::SelectKmemHookFlavor(empty->skel->obj, flavor);
  if (!s.ok()) return s;
  s = bpf::LoadSkeleton("kmem_empty: load",
                        [&] { return kmem_empty_bpf__load(empty->skel); });
  if (!s.ok()) return s;
  auto links = bpf::AttachAll(empty->skel->obj);
  if (!links.ok()) return links.status();
  empty->links = std::move(*links);
  return Attachment(empty);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// pipe.policy with its violation action reduced to AUDIT.
absl::StatusOr<std::pair<Policy, Compartment>> AuditOnlyPipePolicy(const bpf::Kallsyms& kallsyms) {
  std::ifstream in("testdata/policies/pipe.policy");
  std::stringstream text;
  text << in.rdbuf();
  std::string policy_text = text.str();
  size_t at = policy_text.find("violation { action: [AUDIT, KILL] }");
  if (at == std::string::npos) return absl::NotFoundError("pipe.policy: no violation line");
  policy_text.replace(at, std::strlen("violation { action: [AUDIT, KILL] }"),
                      "violation { action: [AUDIT] }");
  auto policy = Policy::FromText(policy_text, "pipe.policy (audit only)");
  if (!policy.ok()) return policy.status();
  auto compartment = Compartment::Resolve(*policy, kallsyms);
  if (!compartment.ok()) return compartment.status();
  return std::make_pair(std::move(*policy), std::move(*compartment));
}

int Run(int rounds, int iterations) {
  bpf::KernelCapabilities features = bpf::KernelCapabilities::Probe();
  auto flavor = bpf::ChooseKmemHookFlavor(features);
  auto kallsyms = bpf::Kallsyms::FromFile();
  if (!flavor.ok() || !kallsyms.ok()) {
    std::fprintf(stderr, "pipe_loop_bench: %s\n",
                 std::string((flavor.ok() ? kallsyms.status() : flavor.status()).message())
                     .c_str());
    return 1;
  }
  auto ranges = bpf::PipeFunctionRanges(*kallsyms);
  if (!ranges.ok()) {
    std::fprintf(stderr, "pipe_loop_bench: %s\n", std::string(ranges.status().message()).c_str());
    return 1;
  }
  auto pipe_policy = AuditOnlyPipePolicy(*kallsyms);
  auto model = FixtureAuditionModel();
  if (!pipe_policy.ok() || !model.ok()) {
    std::fprintf(stderr, "pipe_loop_bench: %s\n",
                 std::string((pipe_policy.ok() ? model.status() : pipe_policy.status()).message())
                     .c_str());
    return 1;
  }
  auto enforcer = [&](bool final_phase,
                      Enforcer::Tracking tracking) -> absl::StatusOr<Attachment> {
    Enforcer::Options options;
    options.capabilities = &features;
    options.object_events = false;
    options.tracking = tracking;
    auto e = Enforcer::Attach(pipe_policy->second, pipe_policy->first, &*model, *kallsyms,
                              options);
    if (!e.ok()) return e.status();
    if (final_phase) (*e)->EnterFinalPhase("benchmark");
    return Attachment(std::shared_ptr<Enforcer>(std::move(*e)));
  };
  std::vector<Config> configs = {
      {"(a) no program", [] { return absl::StatusOr<Attachment>(Attachment()); }},
      {"(b) empty kmem programs", [&] { return AttachEmpty(*flavor); }},
      {"(c) pipe.c site counter",
       [&]() -> absl::StatusOr<Attachment> {
         auto counter = bpf::KmemSitesPrograms::Start({*ranges, 0}, features);
         if (!counter.ok()) return counter.status();
         return Attachment(std::shared_ptr<bpf::KmemSitesPrograms>(std::move(*counter)));
       }},
      {"(d) enforcer, all 4 hooks",
       [&] { return enforcer(false, Enforcer::Tracking::kAllTracepoints); }, EnforcerProgramIds},
      {"(e) enforcer, needed hooks",
       [&] { return enforcer(false, Enforcer::Tracking::kTracepoints); }, EnforcerProgramIds},
      {"(f) (e) in the final phase",
       [&] { return enforcer(true, Enforcer::Tracking::kTracepoints); }, EnforcerProgramIds},
  };
  if (features.Has(bpf::Capability::kKprobeOffset)) {
    configs.push_back({"(g) enforcer, site probes",
                       [&] { return enforcer(false, Enforcer::Tracking::kSiteProbes); },
                       EnforcerProgramIds});
  }
  std::printf("pipe_loop_bench: kernel %s, hooks %s, %d rounds x %d iterations, "
              "interleaved\n",
              features.kernel_release().c_str(), bpf::KmemHookFlavorName(*flavor), rounds,
              iterations);
  const Loop loops[] = {
      {"pipe2 + 2 close: 2 compartment allocations and frees per iteration",
       PipeLoopNsPerIteration},
      {"eventfd + close: every kmem event outside the compartment", EventfdLoopNsPerIteration},
  };
  for (const Loop& loop : loops) {
    loop.ns_per_iteration(iterations);  // warm up caches and slabs
    std::vector<std::vector<double>> samples(configs.size());
    for (int round = 0; round < rounds; ++round) {
      for (size_t k = 0; k < configs.size(); ++k) {
        size_t c = (round + k) % configs.size();
        absl::StatusOr<Attachment> attached = configs[c].attach();
        if (!attached.ok()) {
          std::fprintf(stderr, "pipe_loop_bench: %s: %s\n", configs[c].name.c_str(),
                       std::string(attached.status().message()).c_str());
          return 1;
        }
        samples[c].push_back(loop.ns_per_iteration(iterations));
      }
      std::fprintf(stderr, "\r  round %d/%d", round + 1, rounds);
    }
    std::fprintf(stderr, "\n");
    double base = Median(samples[0]);
    double floor_overhead = Median(samples[1]) - base;
    std::printf("\n%s\n", loop.name);
    std::printf("%-28s %12s %10s %18s\n", "config", "ns/iter", "ratio(a)", "overhead/floor");
    for (size_t c = 0; c < configs.size(); ++c) {
      double m = Median(samples[c]);
      std::printf("%-28s %12.0f %9.3fx", configs[c].name.c_str(), m, m / base);
      if (c == 0) {
        std::printf(" %18s\n", "-");
      } else {
        std::printf(" %17.2fx\n", floor_overhead > 0 ? (m - base) / floor_overhead : 0.0);
      }
    }
  }

  // Per program, with run-time statistics on (they slow every program).
  int stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
  if (stats_fd < 0) {
    std::printf("\nper-program costs: BPF run-time statistics unavailable (errno %d)\n", errno);
    return 0;
  }
  for (const Loop& loop : loops) {
    std::printf("\nper program, %d iterations of %s, BPF statistics on\n", iterations,
                loop.name);
    std::printf("%-28s %-30s %10s %9s %8s\n", "config", "program", "runs", "ns/run", "missed");
    double floor_program_ns = 0;
    for (size_t c = 1; c < configs.size(); ++c) {
      std::set<uint32_t> before = LoadedProgramIds();
      absl::StatusOr<Attachment> attached = configs[c].attach();
      if (!attached.ok()) return 1;
      std::set<uint32_t> ours;
      if (configs[c].program_ids) {
        for (uint32_t id : configs[c].program_ids(*attached)) ours.insert(id);
      } else {
        for (uint32_t id : LoadedProgramIds()) {
          if (!before.count(id)) ours.insert(id);
        }
      }
      loop.ns_per_iteration(iterations);
      double ns_per_iteration = 0;
      for (const ProgramCost& p : CostOf(ours)) {
        if (p.runs == 0 && p.misses == 0) continue;
        ns_per_iteration += static_cast<double>(p.run_time_ns) / iterations;
        std::printf("%-28s %-30s %10llu %9.1f %8llu\n", configs[c].name.c_str(), p.name.c_str(),
                    static_cast<unsigned long long>(p.runs),
                    p.runs ? static_cast<double>(p.run_time_ns) / p.runs : 0.0,
                    static_cast<unsigned long long>(p.misses));
      }
      if (c == 1) floor_program_ns = ns_per_iteration;
      std::printf("%-28s %-30s %10s %9.1f ns/iter, %.2fx the empty programs'\n",
                  configs[c].name.c_str(), "(all programs)", "", ns_per_iteration,
                  floor_program_ns > 0 ? ns_per_iteration / floor_program_ns : 0.0);
    }
  }
  close(stats_fd);
  return 0;
}

}  // namespace
}  // namespace o2c::bench

int main(int argc, char** argv) {
  int rounds = 7, iterations = 20000;
  if (argc > 1 && !absl::SimpleAtoi(argv[1], &rounds)) return 2;
  if (argc > 2 && !absl::SimpleAtoi(argv[2], &iterations)) return 2;
  return o2c::bench::Run(rounds, iterations);
}
