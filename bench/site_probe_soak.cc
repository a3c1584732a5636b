// site_probe_soak: attaches and detaches the site-probe enforcer N times
// while two threads, one pinned to each of the first two CPUs, allocate and
// free as fast as they can, in the compartment (pipe2 + close: fs/pipe.c's
// own kzalloc, kcalloc and kfree calls, where the probes are) and outside it
// (eventfd + close, open + close: kfree and kmem_cache_free from the rest of
// the kernel, which the free tracepoints see).
//
// The enforcer's programs are loaded once and attached and detached each
// cycle (a whole o2c::Enforcer every 100th cycle too: verifying its
// programs takes seconds under TCG). Each cycle checks that attaching
// registered a kprobe per site and that detaching
// left /sys/kernel/debug/kprobes/list, the process's open fds and the
// kernel's loaded programs as they were before. A kernel oops or WARN during
// the soak fails the VM run that wraps it (tools/vmtest), which is the point:
// bench/site_probe_soak.sh runs it under each qemu configuration.
//
// Run as root: site_probe_soak [CYCLES] (in a VM: bench/site_probe_soak.sh);
// site_probe_soak_test runs a short soak in the VM tier.
#include "bench/site_probe_soak.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "o2c/bpf/kernel/capabilities.h"
#include "o2c/bpf/kernel/kallsyms.h"
#include "o2c/bpf/enforcer_programs.h"
#include "o2c/bpf/loader/kmem_hooks.h"
#include "o2c/bpf/site_probes_programs.h"
#include "o2c/compartment.h"
#include "o2c/enforcer.h"
#include "o2c/internal/compartment_ranges.h"
#include "o2c/internal/site_calls.h"
#include "o2c/internal/status_macros.h"
#include "o2c/policy.h"

namespace o2c::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Allocates and frees until `stop`, on `cpu`; counts iterations.
void Storm(int cpu, const std::atomic<bool>& stop, std::atomic<uint64_t>& iterations) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  while (!stop.load(std::memory_order_relaxed)) {
    int fds[2];
    if (pipe2(fds, 0) == 0) {
      close(fds[0]);
      close(fds[1]);
    }
    int e = eventfd(0, 0);
    if (e >= 0) close(e);
    int f = open("/proc/self/stat", O_RDONLY);
    if (f >= 0) close(f);
    iterations.fetch_add(1, std::memory_order_relaxed);
  }
}

// The process's BPF, perf event and epoll fds (the storm's pipes, eventfds
// and files come and go meanwhile, and are not counted).
int KernelObjectFds() {
  int n = 0;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  while (dirent* entry = readdir(dir)) {
    char target[256];
    std::string path = absl::StrCat("/proc/self/fd/", entry->d_name);
    ssize_t len = readlink(path.c_str(), target, sizeof(target) - 1);
    if (len <= 0) continue;
    absl::string_view link(target, len);
    if (absl::StartsWith(link, "anon_inode:bpf") ||
        absl::StartsWith(link, "anon_inode:[perf_event]") ||
        absl::StartsWith(link, "anon_inode:[eventpoll]")) {
      ++n;
    }
  }
  closedir(dir);
  return n;
}

std::set<uint32_t> LoadedPrograms() {
  std::set<uint32_t> ids;
  uint32_t id = 0;
  while (bpf_prog_get_next_id(id, &id) == 0) ids.insert(id);
  return ids;
}

// The pipe compartment, audit only: the soak must not kill anyone.
constexpr char kPolicy[] = R"(name: "pipe"
compartment {
  function: "alloc_pipe_info"
  function: "free_pipe_info"
  function: "pipe_release"
  function: "put_pipe_info?"
  function: "create_pipe_files"
  function: "do_pipe2 | __do_sys_pipe2"
  function: "__do_pipe_flags?"
  function: "pipe_resize_ring?"
}
sites {}
violation { action: [AUDIT] }
transition { final_phase: TIME_LIMIT time_limit_seconds: 3600 }
limits { max_tracked_objects: 65536 ring_buffer_bytes: 262144 }
)";

// The enforcer's programs in site-probe mode for `compartment`, audit only,
// loaded and not attached.
absl::StatusOr<std::unique_ptr<bpf::EnforcerPrograms>> LoadSiteProbePrograms(
    const Compartment& compartment, const bpf::Kallsyms& kallsyms,
    const bpf::KernelCapabilities& capabilities) {
  const CompartmentRanges ranges = RangesOf(compartment);
  bpf::EnforcerConfig config;
  config.code = ranges.code;
  config.alloc_sites = ranges.alloc_sites;
  config.free_sites = ranges.free_sites;
  O2C_ASSIGN_OR_RETURN(config.kernel_text, kallsyms.KernelText());
  O2C_ASSIGN_OR_RETURN(config.flavor, bpf::ChooseKmemHookFlavor(capabilities));
  config.object_events = false;
  config.site_probe_mode = true;
  O2C_ASSIGN_OR_RETURN(config.site_probes,
                       bpf::PlanSiteProbes(SiteCallsOf(compartment), kallsyms));
  return bpf::EnforcerPrograms::Load(config);
}

int Fail(const std::string& what) {
  std::printf("site_probe_soak: FAILED: %s\n", what.c_str());
  return 1;
}

}  // namespace

int RunSiteProbeSoak(int cycles) {
  bpf::KernelCapabilities capabilities = bpf::KernelCapabilities::Probe();
  if (!capabilities.Has(bpf::Capability::kKprobeOffset)) {
    std::printf("site_probe_soak: no kprobes at function+offset on %s (%s): nothing to soak\n",
                capabilities.kernel_release().c_str(),
                capabilities.Get(bpf::Capability::kKprobeOffset).detail.c_str());
    return 0;
  }
  auto kallsyms = bpf::Kallsyms::FromFile();
  if (!kallsyms.ok()) return Fail(std::string(kallsyms.status().message()));
  auto policy = Policy::FromText(kPolicy, "site_probe_soak");
  if (!policy.ok()) return Fail(std::string(policy.status().message()));
  auto compartment = Compartment::Resolve(*policy, *kallsyms);
  if (!compartment.ok()) return Fail(std::string(compartment.status().message()));

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> iterations{0};
  std::vector<std::thread> storm;
  for (int cpu = 0; cpu < 2; ++cpu) {
    storm.emplace_back(Storm, cpu, std::cref(stop), std::ref(iterations));
  }
  auto stop_storm = [&] {
    stop = true;
    for (std::thread& t : storm) t.join();
  };

  const std::set<uint32_t> programs_before = LoadedPrograms();
  auto kprobes_before = bpf::RegisteredKprobes();
  if (!kprobes_before.ok()) {
    stop_storm();
    return Fail(std::string(kprobes_before.status().message()));
  }
  // The enforcer's programs, loaded once (verifying them takes seconds under
  // TCG); each cycle attaches and detaches them, site probes and all. Every
  // kFullEvery cycles a whole o2c::Enforcer is attached and detached too.
  constexpr int kFullEvery = 100;
  auto programs = LoadSiteProbePrograms(*compartment, *kallsyms, capabilities);
  if (!programs.ok()) {
    stop_storm();
    return Fail(std::string(programs.status().message()));
  }
  // With the programs loaded, before any attach.
  const int fds_before = KernelObjectFds();
  std::printf("site_probe_soak: kernel %s, %d cycles, %zu kprobes registered before\n",
              capabilities.kernel_release().c_str(), cycles, kprobes_before->size());
  auto start = Clock::now();
  uint64_t probes_max = 0;
  for (int cycle = 1; cycle <= cycles; ++cycle) {
    std::unique_ptr<Enforcer> enforcer;
    absl::Status attached = (*programs)->Attach();
    if (attached.ok() && cycle % kFullEvery == 0) {
      Enforcer::Options options;
      options.capabilities = &capabilities;
      options.object_events = false;
      options.tracking = Enforcer::Tracking::kSiteProbes;
      auto full = Enforcer::Attach(*compartment, *policy, nullptr, *kallsyms, options);
      attached = full.status();
      if (full.ok()) enforcer = *std::move(full);
    }
    if (!attached.ok()) {
      stop_storm();
      return Fail(absl::StrCat("cycle ", cycle, ": attach: ", attached.message()));
    }
    usleep(2 * 1000);  // let the storm run through the probes
    auto during = bpf::RegisteredKprobes();
    if (!during.ok() || during->size() < kprobes_before->size() + (*programs)->AttachedSiteProbes()) {
      stop_storm();
      return Fail(absl::StrCat("cycle ", cycle, ": ", (*programs)->AttachedSiteProbes(),
                               " site probes attached but not all registered"));
    }
    probes_max = std::max<uint64_t>(probes_max, during->size() - kprobes_before->size());
    enforcer.reset();
    (*programs)->Detach();
    auto after = bpf::RegisteredKprobes();
    if (!after.ok() || *after != *kprobes_before) {
      stop_storm();
      return Fail(absl::StrCat("cycle ", cycle, ": /sys/kernel/debug/kprobes/list differs after "
                               "detach (", after.ok() ? after->size() : 0, " lines, ",
                               kprobes_before->size(), " before)"));
    }
    if (KernelObjectFds() != fds_before) {
      stop_storm();
      return Fail(absl::StrCat("cycle ", cycle, ": ", KernelObjectFds(),
                               " BPF, perf and epoll fds, ", fds_before, " before"));
    }
    if (cycle % 50 == 0 || cycle == cycles) {
      double s = std::chrono::duration<double>(Clock::now() - start).count();
      auto stats = (*programs)->ReadStats();
      std::printf("  cycle %d/%d: %.1f s, storm %llu iterations, tracked %llu, freed %llu\n",
                  cycle, cycles, s, static_cast<unsigned long long>(iterations.load()),
                  stats.ok() ? static_cast<unsigned long long>((*stats)[O2C_STAT_TRACKED]) : 0,
                  stats.ok() ? static_cast<unsigned long long>((*stats)[O2C_STAT_FREED_OWN] +
                                                               (*stats)[O2C_STAT_FREED_BY_KERNEL])
                             : 0);
      std::fflush(stdout);
    }
  }
  programs->reset();
  stop_storm();
  // Programs go once the kernel's deferred release has run.
  std::set<uint32_t> left;
  for (int i = 0; i < 100; ++i) {
    left.clear();
    for (uint32_t id : LoadedPrograms()) {
      if (!programs_before.count(id)) left.insert(id);
    }
    if (left.empty()) break;
    usleep(100 * 1000);
  }
  if (!left.empty()) return Fail(absl::StrCat(left.size(), " programs still loaded"));
  std::printf("site_probe_soak: PASSED %d cycles, %llu site kprobes per attach, kprobes list, "
              "fds and programs as before\n",
              cycles, static_cast<unsigned long long>(probes_max));
  return 0;
}

}  // namespace o2c::bench
