#include "o2c/bpf/enforcer_programs.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <sys/epoll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "o2c/bpf/codegen/audition.h"
#include "o2c/bpf/loader/compartment_rodata.h"
#include "o2c/bpf/kmem_sites.h"  // struct o2c_code_range, before the skeleton
#include "o2c/bpf/enforcer.skel.h"
#include "o2c/bpf/loader/heap_tracker_maps.h"
#include "o2c/bpf/loader/links.h"
#include "o2c/bpf/loader/preempt_count.h"
#include "o2c/bpf/loader/program_loader.h"
#include "o2c/bpf/loader/ring_reader.h"
#include "o2c/bpf/site_probes_programs.h"
#include "o2c/internal/status_macros.h"

namespace o2c::bpf {
namespace {

// Turns autoload off for the kmem entry points and verdict continuations
// of the hooks `hooks` does not need.
absl::Status SelectKmemHooks(bpf_object* obj, const KmemHookSet& hooks) {
  bpf_program* prog;
  bpf_object__for_each_program(prog, obj) {
    absl::string_view section = bpf_program__section_name(prog);
    for (int i = 0; i < kKmemHookCount; ++i) {
      const auto hook = static_cast<KmemHook>(i);
      if (hooks.Needs(hook) || !absl::EndsWith(section, absl::StrCat("/", KmemHookName(hook)))) {
        continue;
      }
      int err = bpf_program__set_autoload(prog, false);
      if (err != 0) {
        return LibbpfError(err, absl::StrCat("prog '", bpf_program__name(prog),
                                             "': set_autoload"));
      }
    }
  }
  return absl::OkStatus();
}

// Turns autoload off for the programs of the other tracking mode: in site-
// probe mode the site_* kprobes (those some probe uses) and the free
// tracepoints' *_elsewhere programs; in tracepoint mode the kmem entry
// points at every site. Site probes are attached by AttachSiteProbes, not
// by their (target-less) sections.
absl::Status SelectTrackingMode(bpf_object* obj, const EnforcerConfig& config) {
  bool uses[3] = {false, false, false};
  for (const SiteProbe& probe : config.site_probes) uses[static_cast<int>(probe.kind)] = true;
  bpf_program* prog;
  bpf_object__for_each_program(prog, obj) {
    absl::string_view name = bpf_program__name(prog);
    bool load;
    if (name == "store_check") continue;  // SetStoreCheckRodata decides
    if (absl::ConsumePrefix(&name, "verdict_site_") || absl::ConsumePrefix(&name, "site_")) {
      SiteProbeKind kind = name == "alloc"  ? SiteProbeKind::kAlloc
                           : name == "kfree" ? SiteProbeKind::kKfree
                                             : SiteProbeKind::kKmemCacheFree;
      load = config.site_probe_mode && uses[static_cast<int>(kind)];
      bpf_program__set_autoattach(prog, false);
    } else if (absl::EndsWith(name, "_elsewhere")) {
      load = config.site_probe_mode;
    } else {
      load = !config.site_probe_mode;
    }
    if (load) continue;
    int err = bpf_program__set_autoload(prog, false);
    if (err != 0) {
      return LibbpfError(err, absl::StrCat("prog '", bpf_program__name(prog), "': set_autoload"));
    }
  }
  return absl::OkStatus();
}

// The store checks' constants and map size; store_check is loaded only with
// probes to run it.
absl::Status SetStoreCheckRodata(const EnforcerConfig& config, enforcer_bpf* skel) {
  auto* ro = skel->rodata;
  if (config.own_data.size() > O2C_MAX_RANGES) {
    return absl::InvalidArgumentError(absl::StrCat("enforcer: ", config.own_data.size(),
                                                   " own data ranges; at most ", O2C_MAX_RANGES));
  }
  ro->nr_own_data = config.own_data.size();
  for (size_t i = 0; i < config.own_data.size(); ++i) {
    ro->own_data[i] = {.start = config.own_data[i].start, .end = config.own_data[i].end};
  }
  ro->store_forbidden = config.store_forbidden;
  ro->store_slab_layout = config.store_slab_layout;
  ro->thread_size = config.thread_size;
  int err = bpf_map__set_max_entries(skel->maps.store_sites,
                                     std::max<size_t>(1, config.store_probes.size()));
  if (!err && config.store_probes.empty()) {
    err = bpf_program__set_autoload(skel->progs.store_check, false);
  }
  if (!err) bpf_program__set_autoattach(skel->progs.store_check, false);
  return err ? LibbpfError(err, "enforcer: configure the store checks") : absl::OkStatus();
}

}  // namespace

const char* FreeHookName(FreeHook hook) {
  return hook == FreeHook::kKfree ? "kfree" : "kmem_cache_free";
}

const char* StatName(o2c_stat stat) {
  switch (stat) {
    case O2C_STAT_TRACKED: return "tracked";
    case O2C_STAT_FREED_OWN: return "freed_own";
    case O2C_STAT_FREED_BY_KERNEL: return "freed_by_kernel";
    case O2C_STAT_UNTRACKED_FREES: return "untracked_frees";
    case O2C_STAT_AUDITION_OWN: return "audition_own";
    case O2C_STAT_AUDITION_KERNEL: return "audition_kernel";
    case O2C_STAT_VIOLATIONS: return "violations";
    case O2C_STAT_KILLS: return "kills";
    case O2C_STAT_MAP_FULL: return "map_full";
    case O2C_STAT_EVENTS: return "events";
    case O2C_STAT_EVENTS_LOST: return "events_lost";
    case O2C_STAT_OVERFLOWED: return "overflowed";
    case O2C_STAT_VERDICT_EVENTS: return "verdict_events";
    case O2C_STAT_VERDICT_EVENTS_LOST: return "verdict_events_lost";
    case O2C_STAT_OBJECT_EVENTS: return "object_events";
    case O2C_STAT_OBJECT_EVENTS_LOST: return "object_events_lost";
    case O2C_STAT_NOT_SIGNALLED: return "not_signalled";
    case O2C_STAT_DOWNGRADED: return "downgraded";
    case O2C_STAT_UID_QUOTA: return "uid_quota";
    case O2C_STAT_LATE_AUDITIONS: return "late_auditions";
    case O2C_STAT_IGNORED_POINTERS: return "ignored_pointers";
    case O2C_STAT_STORE_CHECKS: return "store_checks";
    case O2C_STAT_STORE_VIOLATIONS: return "store_violations";
    case O2C_STAT_COUNT: break;
  }
  return "?";
}

const char* EventChannelName(EventChannel channel) {
  return channel == EventChannel::kVerdicts ? "verdicts" : "objects";
}

const char* ContextName(o2c_context context) {
  switch (context) {
    case O2C_CONTEXT_PROCESS: return "process";
    case O2C_CONTEXT_SOFTIRQ: return "softirq";
    case O2C_CONTEXT_HARDIRQ: return "hardirq";
    case O2C_CONTEXT_NMI: return "nmi";
    case O2C_CONTEXT_KTHREAD: return "kthread";
    case O2C_CONTEXT_UNKNOWN: return "unknown";
  }
  return "?";
}

struct EnforcerPrograms::State {
  struct SkelDeleter {
    void operator()(enforcer_bpf* skel) const { enforcer_bpf__destroy(skel); }
  };
  // Destroyed in reverse order: ring readers, links, trees, then programs.
  std::unique_ptr<enforcer_bpf, SkelDeleter> skel;
  std::vector<ScopedFd> trees;
  std::vector<LinkPtr> links;
  std::unique_ptr<RingReader> verdicts;  // one channel each
  std::unique_ptr<RingReader> objects;
  ScopedFd events_epoll;  // readable when either channel is
  bool site_probe_mode = false;
  std::vector<SiteProbe> site_probes;
  std::vector<LinkPtr> probe_links;  // one per site probe, while attached
  std::vector<StoreProbe> store_probes;
  std::vector<LinkPtr> store_links;  // one per store probe, while attached
  std::vector<std::string> refused_stores;
};

EnforcerPrograms::EnforcerPrograms(std::unique_ptr<State> state, KmemHookFlavor flavor)
    : state_(std::move(state)), flavor_(flavor) {}

EnforcerPrograms::~EnforcerPrograms() = default;

absl::StatusOr<std::unique_ptr<EnforcerPrograms>> EnforcerPrograms::Load(
    const EnforcerConfig& config) {
  O2C_RETURN_IF_ERROR(CheckRingBufferBytes("enforcer", config.ringbuf_bytes));
  O2C_RETURN_IF_ERROR(CheckRingBufferBytes("enforcer's verdicts", config.verdict_ringbuf_bytes));
  auto state = std::make_unique<State>();
  state->skel.reset(enforcer_bpf__open());
  if (!state->skel) return LibbpfError(-errno, "enforcer: open");
  enforcer_bpf* skel = state->skel.get();
  auto* ro = skel->rodata;
  O2C_RETURN_IF_ERROR(SetCompartmentRodata("enforcer", config, ro));
  ro->actions = config.actions | O2C_ACTION_AUDIT;
  ro->object_events = config.object_events ? 1 : 0;
  ro->target_tgid = config.tgid;
  ro->scope_descendants = config.descendants;
  O2C_ASSIGN_OR_RETURN(HeapTrackerSizes heap,
                       SizeHeapTrackerMaps("enforcer", skel->maps.tracked, skel->maps.tracked_counts,
                                           skel->maps.tracked_overflow, config.max_tracked));
  ro->o2c_heap_bucket_mask = heap.buckets - 1;
  ro->o2c_heap_capacity = config.max_tracked;
  ro->uid_quota = config.max_tracked_per_uid;
  // Without it every violation's context is "unknown" and KILL is withheld.
  O2C_ASSIGN_OR_RETURN(ro->o2c_preempt_count_from_rq, PreemptCountFromRunqueues());
  ro->verdict_ring_bytes = config.verdict_ringbuf_bytes;
  ro->o2c_context_from_kprobe = config.site_probe_mode ? 1 : 0;
  O2C_RETURN_IF_ERROR(SetStoreCheckRodata(config, skel));
  int err = bpf_map__set_max_entries(skel->maps.events, config.ringbuf_bytes);
  if (!err) err = bpf_map__set_max_entries(skel->maps.verdicts, config.verdict_ringbuf_bytes);
  if (err) return LibbpfError(err, "enforcer: set the ring buffers' sizes");

  O2C_RETURN_IF_ERROR(SelectKmemHookFlavor(skel->obj, config.flavor));
  O2C_RETURN_IF_ERROR(SelectKmemHooks(skel->obj, config.hooks));
  O2C_RETURN_IF_ERROR(SelectTrackingMode(skel->obj, config));
  bpf_program* prog;
  bpf_object__for_each_program(prog, skel->obj) {
    // Continuations run only by tail call from the trees.
    if (absl::StartsWith(bpf_program__name(prog), "verdict_")) {
      bpf_program__set_autoattach(prog, false);
    }
  }
  O2C_RETURN_IF_ERROR(
      LoadSkeleton("enforcer: load", [&] { return enforcer_bpf__load(skel); }));

  const bool btf = config.flavor == KmemHookFlavor::kTpBtf;
  const bool probes = config.site_probe_mode;
  struct {
    bpf_map* array;
    bpf_program* verdict;
  } slots[] = {
      {skel->maps.audition_kfree,
       probes ? skel->progs.verdict_site_kfree
              : (btf ? skel->progs.verdict_btf_kfree : skel->progs.verdict_raw_kfree)},
      {skel->maps.audition_cache_free,
       probes ? skel->progs.verdict_site_kmem_cache_free
              : (btf ? skel->progs.verdict_btf_kmem_cache_free
                     : skel->progs.verdict_raw_kmem_cache_free)},
  };
  for (auto& s : slots) {
    uint32_t key = O2C_AUDITION_SLOT_VERDICT;
    int fd = bpf_program__fd(s.verdict);
    if (fd < 0) continue;  // its hook is not needed
    if (bpf_map_update_elem(bpf_map__fd(s.array), &key, &fd, BPF_ANY) != 0) {
      return LibbpfError(-errno, absl::StrCat("map '", bpf_map__name(s.array),
                                              "': install '", bpf_program__name(s.verdict),
                                              "'"));
    }
  }
  O2C_ASSIGN_OR_RETURN(state->verdicts,
                       RingReader::Create(bpf_map__fd(skel->maps.verdicts), "map 'verdicts'"));
  O2C_ASSIGN_OR_RETURN(state->objects,
                       RingReader::Create(bpf_map__fd(skel->maps.events), "map 'events'"));
  state->events_epoll = ScopedFd(epoll_create1(EPOLL_CLOEXEC));
  if (state->events_epoll.get() < 0) return absl::ErrnoToStatus(errno, "events: epoll_create1");
  for (const RingReader* reader : {state->verdicts.get(), state->objects.get()}) {
    epoll_event watch = {.events = EPOLLIN, .data = {.fd = reader->epoll_fd()}};
    if (epoll_ctl(state->events_epoll.get(), EPOLL_CTL_ADD, reader->epoll_fd(), &watch) != 0) {
      return absl::ErrnoToStatus(errno, "events: epoll_ctl");
    }
  }
  state->site_probe_mode = config.site_probe_mode;
  state->site_probes = config.site_probes;
  for (uint32_t i = 0; i < config.store_probes.size(); ++i) {
    if (bpf_map_update_elem(bpf_map__fd(skel->maps.store_sites), &i, &config.store_probes[i].site,
                            BPF_ANY) != 0) {
      return LibbpfError(-errno, "map 'store_sites': fill");
    }
  }
  state->store_probes = config.store_probes;
  return std::unique_ptr<EnforcerPrograms>(
      new EnforcerPrograms(std::move(state), config.flavor));
}

std::vector<int> EnforcerPrograms::AuditionMapFds(FreeHook hook) const {
  const auto& maps = state_->skel->maps;
  if (hook == FreeHook::kKfree) {
    return {bpf_map__fd(maps.scratch_kfree), bpf_map__fd(maps.audition_kfree)};
  }
  return {bpf_map__fd(maps.scratch_cache_free), bpf_map__fd(maps.audition_cache_free)};
}

std::string EnforcerPrograms::AuditionHook(FreeHook hook) const {
  return absl::StrCat(state_->site_probe_mode ? "kprobe" : KmemHookFlavorName(flavor_), "/",
                      FreeHookName(hook));
}

bool EnforcerPrograms::HasFreeHook(FreeHook hook) const {
  const auto& progs = state_->skel->progs;
  const bool btf = flavor_ == KmemHookFlavor::kTpBtf;
  if (state_->site_probe_mode) {
    return bpf_program__fd(hook == FreeHook::kKfree ? progs.site_kfree
                                                     : progs.site_kmem_cache_free) >= 0;
  }
  const bpf_program* entry = hook == FreeHook::kKfree
                                 ? (btf ? progs.btf_kfree : progs.raw_kfree)
                                 : (btf ? progs.btf_kmem_cache_free : progs.raw_kmem_cache_free);
  return bpf_program__fd(entry) >= 0;
}

absl::Status EnforcerPrograms::InstallTree(FreeHook hook, ScopedFd tree) {
  int array = AuditionMapFds(hook)[1];
  uint32_t key = O2C_AUDITION_SLOT_TREE;
  int fd = tree.get();
  if (bpf_map_update_elem(array, &key, &fd, BPF_ANY) != 0) {
    return LibbpfError(-errno, absl::StrCat("audition prog array for ", FreeHookName(hook),
                                            ": install tree"));
  }
  state_->trees.push_back(std::move(tree));
  return absl::OkStatus();
}

absl::Status EnforcerPrograms::Attach() {
  // Allocations first: an object the compartment allocates while the hooks
  // attach is then tracked, not auditioned later as one from before the
  // attach (a verdict on a guess); one of them freed before its free hook
  // is there only leaves a stale entry, which is never a verdict.
  O2C_ASSIGN_OR_RETURN(state_->links,
                       AttachAll(state_->skel->obj,
                                 [](const bpf_program* p) { return !IsKmemFreeHook(p); }));
  if (!state_->site_probe_mode) return AttachStoreChecks();
  const auto& progs = state_->skel->progs;
  absl::StatusOr<std::vector<LinkPtr>> probes =
      AttachSiteProbes(state_->site_probes, [&](SiteProbeKind kind) {
        switch (kind) {
          case SiteProbeKind::kAlloc: return progs.site_alloc;
          case SiteProbeKind::kKfree: return progs.site_kfree;
          case SiteProbeKind::kKmemCacheFree: return progs.site_kmem_cache_free;
        }
        return progs.site_alloc;
      });
  if (!probes.ok()) {
    state_->links.clear();
    return probes.status();
  }
  state_->probe_links = std::move(*probes);
  return AttachStoreChecks();
}

absl::Status EnforcerPrograms::AttachStoreChecks() {
  if (state_->store_probes.empty()) return absl::OkStatus();
  absl::StatusOr<StoreProbeLinks> stores =
      AttachStoreProbes(state_->store_probes, state_->skel->progs.store_check);
  if (!stores.ok()) {
    state_->probe_links.clear();
    state_->links.clear();
    return stores.status();
  }
  state_->store_links = std::move(stores->links);
  state_->refused_stores = std::move(stores->refused);
  return absl::OkStatus();
}

// The probes first, the free tracepoints last.
void EnforcerPrograms::Detach() {
  state_->store_links.clear();
  state_->probe_links.clear();
  state_->links.clear();
}

size_t EnforcerPrograms::AttachedSiteProbes() const { return state_->probe_links.size(); }

size_t EnforcerPrograms::AttachedStoreProbes() const { return state_->store_links.size(); }

const std::vector<std::string>& EnforcerPrograms::RefusedStoreProbes() const {
  return state_->refused_stores;
}

void EnforcerPrograms::SetPhase(o2c_phase phase) {
  __atomic_store_n(&state_->skel->data->phase, static_cast<__u32>(phase), __ATOMIC_SEQ_CST);
}

o2c_phase EnforcerPrograms::phase() const {
  return static_cast<o2c_phase>(__atomic_load_n(&state_->skel->data->phase, __ATOMIC_SEQ_CST));
}

void EnforcerPrograms::SetFinalConfirmed(bool confirmed) {
  __atomic_store_n(&state_->skel->bss->final_confirmed, confirmed ? 1u : 0u, __ATOMIC_SEQ_CST);
}

bool EnforcerPrograms::final_confirmed() const {
  return __atomic_load_n(&state_->skel->bss->final_confirmed, __ATOMIC_SEQ_CST) != 0;
}

void EnforcerPrograms::SetHeapIncomplete(bool incomplete) {
  __atomic_store_n(&state_->skel->bss->heap_incomplete, incomplete ? 1u : 0u, __ATOMIC_SEQ_CST);
}

void EnforcerPrograms::SetModelForeign(bool foreign) {
  __atomic_store_n(&state_->skel->bss->model_foreign, foreign ? 1u : 0u, __ATOMIC_SEQ_CST);
}

bool EnforcerPrograms::heap_incomplete() const {
  return __atomic_load_n(&state_->skel->bss->heap_incomplete, __ATOMIC_SEQ_CST) != 0;
}

int64_t EnforcerPrograms::LiveObjects() const {
  return __atomic_load_n(&state_->skel->bss->o2c_heap_live, __ATOMIC_SEQ_CST);
}

bool EnforcerPrograms::quarantined() const {
  uint32_t zero = 0, value = 0;
  return bpf_map_lookup_elem(QuarantineMapFd(), &zero, &value) == 0 && value != 0;
}

int EnforcerPrograms::QuarantineMapFd() const {
  return bpf_map__fd(state_->skel->maps.quarantine);
}

HeapMapFds EnforcerPrograms::HeapMaps() const {
  const auto& maps = state_->skel->maps;
  return {.tracked = bpf_map__fd(maps.tracked),
          .tracked_counts = bpf_map__fd(maps.tracked_counts),
          .tracked_overflow = bpf_map__fd(maps.tracked_overflow)};
}

absl::StatusOr<EnforcerCounters> EnforcerPrograms::ReadStats() const {
  int ncpus = libbpf_num_possible_cpus();
  if (ncpus <= 0) return LibbpfError(ncpus, "enforcer: possible CPUs");
  std::vector<uint64_t> per_cpu(ncpus);
  EnforcerCounters total{};
  int fd = bpf_map__fd(state_->skel->maps.stats);
  for (uint32_t i = 0; i < O2C_STAT_COUNT; ++i) {
    if (bpf_map_lookup_elem(fd, &i, per_cpu.data()) != 0) {
      return LibbpfError(-errno, absl::StrCat("map 'stats': lookup ", i));
    }
    for (uint64_t v : per_cpu) total[i] += v;
  }
  return total;
}

absl::StatusOr<MissedRuns> EnforcerPrograms::Missed() const {
  MissedRuns missed;
  bpf_program* prog;
  bpf_object__for_each_program(prog, state_->skel->obj) {
    int fd = bpf_program__fd(prog);
    if (fd < 0) continue;
    O2C_ASSIGN_OR_RETURN(bpf_prog_info info, ProgramInfo(fd));
    const bool free = IsKmemFreeHook(prog) ||
                      absl::StartsWith(bpf_program__name(prog), "site_k");  // site_kfree, ...
    (free ? missed.frees : missed.allocations) += info.recursion_misses;
  }
  return missed;
}

namespace {

// The enforcer's records, from a ring's bytes.
RingReader::OnRecord AsEvents(const std::function<void(const o2c_event&)>& on_event) {
  return [&on_event](const void* data, size_t size) {
    if (size >= sizeof(o2c_event)) on_event(*static_cast<const o2c_event*>(data));
  };
}

}  // namespace

absl::StatusOr<PolledEvents> EnforcerPrograms::PollEvents(
    int timeout_ms, const std::function<void(const o2c_event&)>& on_event) {
  O2C_RETURN_IF_ERROR(AwaitReadable(EventsEpollFd(), timeout_ms));
  const RingReader::OnRecord deliver = AsEvents(on_event);
  // Verdicts first: a flood of object events never delays one.
  O2C_ASSIGN_OR_RETURN(RingBatch verdicts,
                       state_->verdicts->ConsumeAtMost(kMaxRecordsPerPoll, deliver));
  O2C_ASSIGN_OR_RETURN(RingBatch objects,
                       state_->objects->ConsumeAtMost(kMaxRecordsPerPoll, deliver));
  return PolledEvents{.delivered = verdicts.records + objects.records,
                      .more = verdicts.more || objects.more};
}

absl::StatusOr<PolledEvents> EnforcerPrograms::PollChannel(
    EventChannel channel, int timeout_ms,
    const std::function<void(const o2c_event&)>& on_event) {
  RingReader& reader =
      channel == EventChannel::kVerdicts ? *state_->verdicts : *state_->objects;
  O2C_ASSIGN_OR_RETURN(RingBatch batch,
                       reader.ReadAtMost(timeout_ms, kMaxRecordsPerPoll, AsEvents(on_event)));
  return PolledEvents{.delivered = batch.records, .more = batch.more};
}

size_t EnforcerPrograms::RingRecordCapacity() const {
  const size_t record = sizeof(o2c_event) + BPF_RINGBUF_HDR_SZ;
  return (bpf_map__max_entries(state_->skel->maps.verdicts) +
          bpf_map__max_entries(state_->skel->maps.events)) / record;
}

int EnforcerPrograms::RingFd(EventChannel channel) const {
  return bpf_map__fd(channel == EventChannel::kVerdicts ? state_->skel->maps.verdicts
                                                        : state_->skel->maps.events);
}

int EnforcerPrograms::EventsEpollFd() const { return state_->events_epoll.get(); }

std::vector<uint32_t> EnforcerPrograms::ProgramIds() const {
  std::vector<int> fds;
  bpf_program* prog;
  bpf_object__for_each_program(prog, state_->skel->obj) {
    if (bpf_program__fd(prog) >= 0) fds.push_back(bpf_program__fd(prog));
  }
  for (const ScopedFd& tree : state_->trees) fds.push_back(tree.get());
  std::vector<uint32_t> ids;
  for (int fd : fds) {
    if (auto info = ProgramInfo(fd); info.ok()) ids.push_back(info->id);
  }
  return ids;
}

}  // namespace o2c::bpf
