// EnforcerPrograms: the enforcer's kernel side (enforcer.bpf.c) loaded,
// configured and attached: the private heap, the free sites, the audition
// prog arrays, counters and events. o2c::Enforcer composes it with a
// resolved Compartment, a Policy and an AuditionModel; this layer knows only
// addresses, limits and program fds.
#ifndef O2C_BPF_ENFORCER_PROGRAMS_H_
#define O2C_BPF_ENFORCER_PROGRAMS_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "o2c/bpf/enforcer.h"
#include "o2c/bpf/kmem_hook_set.h"
#include "o2c/bpf/site_probes_programs.h"
#include "o2c/bpf/store_probes.h"
#include "o2c/bpf/features.h"
#include "o2c/bpf/kernel/kallsyms.h"
#include "o2c/bpf/loader/heap_tracker_maps.h"
#include "o2c/bpf/loader/kmem_hooks.h"
#include "o2c/bpf/loader/scoped_fd.h"

namespace o2c::bpf {

struct EnforcerConfig {
  std::vector<AddressRange> code;         // the compartment's code
  std::vector<AddressRange> alloc_sites;  // call sites ([ret, ret+1)) or code ranges
  std::vector<AddressRange> free_sites;   // likewise
  // Allocating wrappers reported inside themselves: their caller on the
  // stack is the call_site matched against alloc_sites.
  std::vector<AddressRange> alloc_wrappers;
  AddressRange kernel_text;               // [_stext, _etext), for word classes
  uint32_t actions = O2C_ACTION_AUDIT;    // enum o2c_action bits
  uint32_t max_tracked = 65536;           // the tracked map's capacity
  uint32_t ringbuf_bytes = 1 << 20;       // the object ring: a power of 2, >= 4096
  // The verdict ring (violations, auditions, untracked allocations): a power
  // of 2, >= 4096. Auditions and untracked allocations fill at most half.
  uint32_t verdict_ringbuf_bytes = 1 << 18;
  // Most live tracked objects one uid may own (beyond: not tracked, the heap
  // is incomplete); 0: no per-uid limit.
  uint32_t max_tracked_per_uid = 0;
  bool object_events = true;              // TRACKED / FREED events
  uint32_t tgid = 0;                      // only this process (0: all)
  bool descendants = false;               // ... and the processes it started
  KmemHookFlavor flavor = KmemHookFlavor::kTpBtf;
  // The kmem tracepoints to load and attach (the others are not loaded).
  // With site probes, only its free hooks count: they release tracked
  // objects the rest of the kernel frees.
  KmemHookSet hooks;
  // Site-probe mode: kprobes at these sites (site_probes_programs.h) do the
  // work of the tracepoints at the compartment's sites. Off: tracepoints.
  bool site_probe_mode = false;
  std::vector<SiteProbe> site_probes;
  // Access checks: kprobes at these stores (store_probes.h); none: off.
  std::vector<StoreProbe> store_probes;
  // What a checked store may not write: 1 << enum o2c_store_target bits.
  uint32_t store_forbidden = 0;
  // The compartment's own data, which its stores may write.
  std::vector<AddressRange> own_data;
  // How store checks find a slab object (the walk's kernel variables).
  o2c_slab_layout store_slab_layout = {};
  uint64_t thread_size = 16384;  // the kernel's stack size
};

// The two free hooks; each has its own audition prog array and tree copy.
enum class FreeHook { kKfree, kKmemCacheFree };
// The tracepoint name ("kfree", "kmem_cache_free").
const char* FreeHookName(FreeHook hook);

// The two ring buffers (enum o2c_channel): verdicts cannot be crowded out by
// object events.
enum class EventChannel { kVerdicts = O2C_CHANNEL_VERDICTS, kObjects = O2C_CHANNEL_OBJECTS };
// "verdicts" or "objects".
const char* EventChannelName(EventChannel channel);

// What one poll delivered.
struct PolledEvents {
  int delivered = 0;
  bool more = false;  // it stopped at its limit: more may be pending
};

// The context a violation ran in ("process", "softirq", ...).
const char* ContextName(o2c_context context);

using EnforcerCounters = std::array<uint64_t, O2C_STAT_COUNT>;
// A short name for a counter ("tracked", "events_lost", ...).
const char* StatName(o2c_stat stat);

// Runs of the enforcer's programs the kernel skipped (the program's
// recursion_misses), by kind of hook.
struct MissedRuns {
  uint64_t allocations = 0;  // kmalloc / kmem_cache_alloc
  uint64_t frees = 0;        // kfree / kmem_cache_free
};

class EnforcerPrograms {
 public:
  // Opens, configures and loads the programs (nothing attached yet).
  static absl::StatusOr<std::unique_ptr<EnforcerPrograms>> Load(const EnforcerConfig& config);
  ~EnforcerPrograms();

  // The fds a tail-call audition tree for `hook` needs, in the order of
  // tree_program.h's map slots: {scratch map, prog array}. Each hook has its
  // own scratch map, so a free in an interrupt cannot overwrite the audition
  // of the other hook it interrupted.
  std::vector<int> AuditionMapFds(FreeHook hook) const;
  // The hook a tail-call tree for `hook` must be loaded for (LoadAudition's
  // `hook`): "tp_btf/kfree", "raw_tp/kmem_cache_free", "kprobe/kfree" (site
  // probes), ...
  std::string AuditionHook(FreeHook hook) const;
  // Whether `hook`'s program is loaded (EnforcerConfig::hooks): a tree for
  // a hook that is not has nothing to enter it.
  bool HasFreeHook(FreeHook hook) const;
  // Installs `tree` (loaded for `hook`) in its prog array and keeps it.
  absl::Status InstallTree(FreeHook hook, ScopedFd tree);

  // Attaches the entry points (verdict continuations are entered by tail
  // call only) and, in site-probe mode, every site probe. All or nothing.
  absl::Status Attach();
  // Detaches every program (they stay loaded until destruction).
  void Detach();

  void SetPhase(o2c_phase phase);
  o2c_phase phase() const;
  // Whether the final phase is confirmed: no object from before the attach
  // is alive (a census says so, or the operator decided it). Until then a
  // final-phase untracked free is auditioned (a late audition) rather than
  // a violation outright; without a tree for its hook it is a violation.
  void SetFinalConfirmed(bool confirmed);
  bool final_confirmed() const;
  // Whether some compartment object may be untracked. The programs set it
  // when an allocation could not be tracked (heap full, uid quota); call
  // SetHeapIncomplete(true) when Missed().allocations grows. While set,
  // every untracked free is auditioned and its violation takes no action but
  // AUDIT (O2C_EVENT_DOWNGRADED). Only user space clears it (after a census).
  void SetHeapIncomplete(bool incomplete);
  bool heap_incomplete() const;
  // Whether the audition model was prepared on another kernel: then every
  // audition's violation is downgraded (reported, no action but AUDIT).
  void SetModelForeign(bool foreign);
  // Tracked objects alive now.
  int64_t LiveObjects() const;
  bool quarantined() const;
  // The quarantine state map (ARRAY, 1 entry, u32 -> u32), for QuarantineGate.
  int QuarantineMapFd() const;

  // The private heap's maps, for programs that read it (the census).
  HeapMapFds HeapMaps() const;

  // Counters summed over CPUs.
  absl::StatusOr<EnforcerCounters> ReadStats() const;
  // Runs of the entry programs the kernel skipped (bpf_prog_info's
  // recursion_misses): a program already running on a CPU blocks its nested
  // runs there (o2c::EnforcerCounters::missed_runs says when that happens).
  absl::StatusOr<MissedRuns> Missed() const;
  // At most this many records of each channel per PollEvents or
  // PollChannel call, so that a producer faster than the consumer cannot
  // hold a call, or the memory its caller collects, without bound.
  static constexpr int kMaxRecordsPerPoll = 4096;
  // Delivers pending events to `on_event`, the verdicts channel first, at
  // most kMaxRecordsPerPoll of each, waiting up to `timeout_ms` (-1: without
  // limit) for the first. Not thread-safe (one poller at a time per
  // EnforcerPrograms).
  absl::StatusOr<PolledEvents> PollEvents(int timeout_ms,
                                          const std::function<void(const o2c_event&)>& on_event);
  // An epoll fd that is readable when events of either channel are pending
  // (owned by this object): for an embedding product's own event loop.
  int EventsEpollFd() const;
  // Likewise for one channel only.
  absl::StatusOr<PolledEvents> PollChannel(EventChannel channel, int timeout_ms,
                                           const std::function<void(const o2c_event&)>& on_event);
  // How many events both rings hold when full.
  size_t RingRecordCapacity() const;
  // The channel's BPF_MAP_TYPE_RINGBUF map (owned here: valid while this
  // object lives), for a caller's own ring_buffer or epoll.
  int RingFd(EventChannel channel) const;

  // Kernel ids of every loaded program (entry points, continuations, trees).
  std::vector<uint32_t> ProgramIds() const;
  KmemHookFlavor flavor() const { return flavor_; }
  // Site probes attached now (0 in tracepoint mode or when detached).
  size_t AttachedSiteProbes() const;
  // Store probes attached now, and the stores whose probe the kernel
  // refused at the last Attach ("symbol+0x12: Invalid argument").
  size_t AttachedStoreProbes() const;
  const std::vector<std::string>& RefusedStoreProbes() const;

 private:
  struct State;
  EnforcerPrograms(std::unique_ptr<State> state, KmemHookFlavor flavor);
  // Attaches the store probes, if any; on failure detaches everything.
  absl::Status AttachStoreChecks();

  std::unique_ptr<State> state_;
  KmemHookFlavor flavor_;
};

}  // namespace o2c::bpf

#endif  // O2C_BPF_ENFORCER_PROGRAMS_H_
