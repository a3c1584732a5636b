#include "o2c/bpf/profiler_programs.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "o2c/bpf/loader/compartment_rodata.h"
#include "o2c/bpf/enforcer.h"
#include "o2c/bpf/loader/heap_tracker_maps.h"
#include "o2c/bpf/kmem_sites.h"  // struct o2c_code_range, before the skeleton
#include "o2c/bpf/loader/links.h"
#include "o2c/bpf/profiler.skel.h"
#include "o2c/bpf/loader/program_loader.h"
#include "o2c/bpf/loader/ring_reader.h"
#include "o2c/internal/status_macros.h"

namespace o2c::bpf {
namespace {

// Samples a poll delivers at most: a workload that frees faster than the
// caller consumes cannot keep one call, and its collection, going forever.
constexpr int kMaxSamplesPerPoll = 8192;

}  // namespace

const char* ProfileStatName(o2c_profile_stat stat) {
  switch (stat) {
    case O2C_PSTAT_TRACKED: return "tracked";
    case O2C_PSTAT_POSITIVES: return "positives";
    case O2C_PSTAT_NEGATIVES: return "negatives";
    case O2C_PSTAT_NEGATIVES_SKIPPED: return "negatives_skipped";
    case O2C_PSTAT_TRACKED_FREED_ELSEWHERE: return "tracked_freed_elsewhere";
    case O2C_PSTAT_UNTRACKED_AT_SITE: return "untracked_at_site";
    case O2C_PSTAT_MAP_FULL: return "map_full";
    case O2C_PSTAT_SAMPLES_LOST: return "samples_lost";
    case O2C_PSTAT_OVERFLOWED: return "overflowed";
    case O2C_PSTAT_RAW_READ_FAILED: return "raw_read_failed";
    case O2C_PSTAT_COUNT: break;
  }
  return "?";
}

struct ProfilerPrograms::State {
  struct SkelDeleter {
    void operator()(profiler_bpf* skel) const { profiler_bpf__destroy(skel); }
  };
  // Destroyed in reverse order: ring reader, links, then programs.
  std::unique_ptr<profiler_bpf, SkelDeleter> skel;
  std::vector<LinkPtr> links;
  std::unique_ptr<RingReader> ring;
};

ProfilerPrograms::ProfilerPrograms(std::unique_ptr<State> state) : state_(std::move(state)) {}

ProfilerPrograms::~ProfilerPrograms() = default;

absl::StatusOr<std::unique_ptr<ProfilerPrograms>> ProfilerPrograms::Load(
    const ProfilerConfig& config) {
  O2C_RETURN_IF_ERROR(CheckRingBufferBytes("profiler", config.ringbuf_bytes));
  auto state = std::make_unique<State>();
  state->skel.reset(profiler_bpf__open());
  if (!state->skel) return LibbpfError(-errno, "profiler: open");
  profiler_bpf* skel = state->skel.get();
  auto* ro = skel->rodata;
  O2C_RETURN_IF_ERROR(SetCompartmentRodata("profiler", config, ro));
  ro->negative_rate = config.negative_rate;
  ro->raw_words = config.raw_words ? 1 : 0;
  O2C_ASSIGN_OR_RETURN(HeapTrackerSizes heap,
                       SizeHeapTrackerMaps("profiler", skel->maps.tracked, skel->maps.tracked_counts,
                                           skel->maps.tracked_overflow, config.max_tracked));
  ro->o2c_heap_bucket_mask = heap.buckets - 1;
  ro->o2c_heap_capacity = config.max_tracked;
  int err = bpf_map__set_max_entries(skel->maps.events, config.ringbuf_bytes);
  if (err) return LibbpfError(err, "profiler: set the ring buffer's size");

  O2C_RETURN_IF_ERROR(SelectKmemHookFlavor(skel->obj, config.flavor));
  O2C_RETURN_IF_ERROR(
      LoadSkeleton("profiler: load", [&] { return profiler_bpf__load(skel); }));
  O2C_ASSIGN_OR_RETURN(state->ring,
                       RingReader::Create(bpf_map__fd(skel->maps.events), "map 'events'"));
  return std::unique_ptr<ProfilerPrograms>(new ProfilerPrograms(std::move(state)));
}

absl::Status ProfilerPrograms::Attach() {
  // Frees first: no positive it tracks is freed unseen (an object of the
  // attach window is simply not sampled).
  O2C_ASSIGN_OR_RETURN(state_->links, AttachAll(state_->skel->obj, IsKmemFreeHook));
  return absl::OkStatus();
}

void ProfilerPrograms::Detach() { state_->links.clear(); }

absl::StatusOr<ProfilerStats> ProfilerPrograms::ReadStats() const {
  int ncpus = libbpf_num_possible_cpus();
  if (ncpus <= 0) return LibbpfError(ncpus, "profiler: possible CPUs");
  std::vector<uint64_t> per_cpu(ncpus);
  ProfilerStats total{};
  int fd = bpf_map__fd(state_->skel->maps.stats);
  for (uint32_t i = 0; i < O2C_PSTAT_COUNT; ++i) {
    if (bpf_map_lookup_elem(fd, &i, per_cpu.data()) != 0) {
      return LibbpfError(-errno, absl::StrCat("map 'stats': lookup ", i));
    }
    for (uint64_t v : per_cpu) total[i] += v;
  }
  return total;
}

absl::StatusOr<int> ProfilerPrograms::PollSamples(
    int timeout_ms, const std::function<void(const o2c_sample&)>& on_sample) {
  return PollSamples(timeout_ms,
                     [&on_sample](const o2c_sample& s, absl::Span<const __u64>) { on_sample(s); });
}

absl::StatusOr<int> ProfilerPrograms::PollSamples(int timeout_ms,
                                                  const RawSampleCallback& on_sample) {
  // A record is a struct o2c_sample, or a struct o2c_raw_sample.
  O2C_ASSIGN_OR_RETURN(
      RingBatch batch,
      state_->ring->ReadAtMost(timeout_ms, kMaxSamplesPerPoll, [&](const void* data, size_t size) {
        if (size < sizeof(o2c_sample)) return;
        absl::Span<const __u64> raw;
        if (size >= sizeof(o2c_raw_sample)) raw = static_cast<const o2c_raw_sample*>(data)->raw;
        on_sample(*static_cast<const o2c_sample*>(data), raw);
      }));
  return batch.records;
}

}  // namespace o2c::bpf
