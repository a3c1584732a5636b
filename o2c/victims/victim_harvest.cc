#include "o2c/victims/victim_harvest.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <chrono>
#include <limits>

#include "absl/strings/str_cat.h"
#include "o2c/bpf/enforcer.h"
#include "o2c/bpf/extractor_schema.h"
#include "o2c/bpf/kernel/capabilities.h"
#include "o2c/bpf/loader/kmem_hooks.h"
#include "o2c/bpf/profiler.h"
#include "o2c/bpf/profiler_programs.h"
#include "o2c/internal/compartment_ranges.h"
#include "o2c/internal/status_macros.h"
#include "o2c/victims/victim_workload.h"

namespace o2c::victims {
namespace {

using Clock = std::chrono::steady_clock;

bool Overlaps(const std::vector<bpf::AddressRange>& a, const std::vector<bpf::AddressRange>& b) {
  for (const bpf::AddressRange& x : a) {
    for (const bpf::AddressRange& y : b) {
      if (x.start < y.end && y.start < x.end) return true;
    }
  }
  return false;
}

// The catalogue on this kernel, the compartment's own types set apart.
std::vector<HarvestedType> TypesFor(const std::vector<bpf::AddressRange>& compartment_code,
                                    const bpf::Kallsyms& kallsyms) {
  std::vector<HarvestedType> types;
  for (ResolvedVictim& v : ResolveVictims(kallsyms)) {
    HarvestedType t;
    t.compartment_own = Overlaps(v.ranges, compartment_code);
    t.victim = std::move(v);
    types.push_back(std::move(t));
  }
  return types;
}

// The profiler with the victims' allocation functions as its allocation
// sites and every address as a free site: each tracked victim freed by
// anyone is one sample. No other frees are sampled.
absl::StatusOr<bpf::ProfilerConfig> HarvestConfig(const CompartmentRanges& compartment,
                                                  const std::vector<HarvestedType>& types,
                                                  const bpf::Kallsyms& kallsyms,
                                                  const HarvestOptions& options) {
  bpf::ProfilerConfig config;
  const bpf::KernelCapabilities capabilities = bpf::KernelCapabilities::Probe();
  O2C_ASSIGN_OR_RETURN(config.flavor, bpf::ChooseKmemHookFlavor(capabilities));
  O2C_ASSIGN_OR_RETURN(config.kernel_text, kallsyms.KernelText());
  config.code = compartment.code;
  for (const HarvestedType& t : types) {
    if (t.compartment_own) continue;
    config.alloc_sites.insert(config.alloc_sites.end(), t.victim.ranges.begin(),
                              t.victim.ranges.end());
  }
  config.free_sites = {{0, std::numeric_limits<uint64_t>::max()}};
  config.negative_rate = 0;
  config.max_tracked = options.max_tracked;
  config.ringbuf_bytes = options.ringbuf_bytes;
  return config;
}

pid_t StartWorkload(const HarvestOptions& options) {
  const pid_t child = fork();
  if (child != 0) return child;
  if (options.workload.empty()) _exit(MakeVictims(options.rounds));
  execl("/bin/sh", "sh", "-c", options.workload.c_str(), static_cast<char*>(nullptr));
  _exit(127);
}

// The type whose allocation functions hold `alloc_site`, or -1.
int TypeOf(const std::vector<HarvestedType>& types, uint64_t alloc_site) {
  for (size_t i = 0; i < types.size(); ++i) {
    if (types[i].compartment_own) continue;
    for (const bpf::AddressRange& r : types[i].victim.ranges) {
      if (r.Contains(alloc_site)) return static_cast<int>(i);
    }
  }
  return -1;
}

}  // namespace

ml::Dataset WithVictimTypeColumn(const VictimHarvest& harvest) {
  ml::Dataset out = harvest.dataset;
  ml::FeatureSpec column{"victim_type", "the victim's type (o2c/victims/victim_types.h)", {}};
  for (size_t i = 0; i < harvest.types.size(); ++i) {
    column.value_names[static_cast<int64_t>(i)] = harvest.types[i].victim.type->name;
  }
  out.schema.features.push_back(std::move(column));
  const Eigen::Index last = out.features.cols();
  out.features.conservativeResize(Eigen::NoChange, last + 1);
  for (int r = 0; r < out.num_rows(); ++r) out.features(r, last) = harvest.type_of_row[r];
  return out;
}

absl::StatusOr<VictimHarvest> HarvestVictims(const Compartment& compartment,
                                             const bpf::Kallsyms& kallsyms,
                                             const HarvestOptions& options) {
  const CompartmentRanges ranges = RangesOf(compartment);
  VictimHarvest h;
  h.types = TypesFor(ranges.code, kallsyms);
  bool any = false;
  for (const HarvestedType& t : h.types) any = any || (t.victim.present() && !t.compartment_own);
  if (!any) {
    return absl::FailedPreconditionError(
        "victims: no victim type's allocation functions exist on this kernel");
  }
  O2C_ASSIGN_OR_RETURN(bpf::ProfilerConfig config,
                       HarvestConfig(ranges, h.types, kallsyms, options));
  O2C_ASSIGN_OR_RETURN(std::unique_ptr<bpf::ProfilerPrograms> profiler,
                       bpf::ProfilerPrograms::Load(config));
  O2C_RETURN_IF_ERROR(profiler->Attach());

  std::vector<o2c_sample> samples;
  auto collect = [&](const o2c_sample& s) { samples.push_back(s); };
  const Clock::time_point start = Clock::now();
  const pid_t child = StartWorkload(options);
  if (child < 0) return absl::ErrnoToStatus(errno, "victims: workload: fork");
  int wstatus = 0;
  for (;;) {
    O2C_RETURN_IF_ERROR(profiler->PollSamples(100, collect).status());
    const pid_t done = waitpid(child, &wstatus, WNOHANG);
    if (done == child) break;
    if (done < 0 && errno != EINTR) return absl::ErrnoToStatus(errno, "victims: waitpid");
  }
  const Clock::time_point ended = Clock::now();
  while (std::chrono::duration<double>(Clock::now() - ended).count() < options.settle_seconds) {
    O2C_RETURN_IF_ERROR(profiler->PollSamples(100, collect).status());
  }
  profiler->Detach();
  for (;;) {
    O2C_ASSIGN_OR_RETURN(int n, profiler->PollSamples(0, collect));
    if (n == 0) break;
  }
  h.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  O2C_ASSIGN_OR_RETURN(bpf::ProfilerStats stats, profiler->ReadStats());
  h.tracked = stats[O2C_PSTAT_TRACKED];
  h.map_full = stats[O2C_PSTAT_MAP_FULL];
  h.samples_lost = stats[O2C_PSTAT_SAMPLES_LOST];
  h.not_seen_freed = h.tracked - std::min(h.tracked, stats[O2C_PSTAT_POSITIVES] + h.samples_lost);
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "victims: workload '", options.workload.empty() ? "built-in" : options.workload,
        "' did not exit 0 (wait status ", wstatus, ")"));
  }

  h.dataset.schema = bpf::ExtractorFeatureSchema();
  h.dataset.schema.kernel_release = bpf::RunningKernelRelease();
  h.dataset.class_names = {"kernel", "own"};
  static_assert(O2C_LABEL_KERNEL == 0 && O2C_LABEL_OWN == 1, "class names by label");
  std::vector<const o2c_sample*> kept;
  for (const o2c_sample& s : samples) {
    const int type = TypeOf(h.types, s.alloc_site);
    if (type < 0) {
      ++h.unattributed;
      continue;
    }
    kept.push_back(&s);
    h.type_of_row.push_back(type);
    ++h.types[type].samples;
  }
  h.dataset.features.resize(static_cast<Eigen::Index>(kept.size()), O2C_F_COUNT);
  for (size_t i = 0; i < kept.size(); ++i) {
    for (int f = 0; f < O2C_F_COUNT; ++f) h.dataset.features(i, f) = kept[i]->features[f];
  }
  h.dataset.labels.assign(kept.size(), O2C_LABEL_KERNEL);
  return h;
}

}  // namespace o2c::victims
