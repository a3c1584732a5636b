// ProfilerPrograms: the preparation phase's kernel side (profiler.bpf.c)
// loaded, configured and attached. It tracks the compartment's allocations
// and emits labelled samples (profiler.h) at frees: positives where the
// compartment frees its own tracked objects, negatives sampled 1 in N among
// the frees of the rest of the kernel. This layer knows only addresses and
// rates; o2c/prepare.h composes it with a Compartment.
#ifndef O2C_BPF_PROFILER_PROGRAMS_H_
#define O2C_BPF_PROFILER_PROGRAMS_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "o2c/bpf/kernel/kallsyms.h"
#include "o2c/bpf/loader/kmem_hooks.h"
#include "o2c/bpf/profiler.h"

namespace o2c::bpf {

struct ProfilerConfig {
  std::vector<AddressRange> code;         // the compartment's code (word classes, and
                                          // "freed by the compartment")
  std::vector<AddressRange> alloc_sites;  // call sites ([ret, ret+1)) or code ranges
  std::vector<AddressRange> free_sites;   // likewise
  // Allocating wrappers reported inside themselves: their caller on the
  // stack is the call_site matched against alloc_sites.
  std::vector<AddressRange> alloc_wrappers;
  AddressRange kernel_text;               // [_stext, _etext), for word classes
  uint32_t negative_rate = 64;            // keep 1 in N outside frees; 0: no negatives
  bool raw_words = false;                 // also copy the object's words (profiler.h)
  uint32_t max_tracked = 65536;           // the tracked map's capacity
  uint32_t ringbuf_bytes = 1 << 22;       // a power of 2, >= the page size
  KmemHookFlavor flavor = KmemHookFlavor::kTpBtf;
};

using ProfilerStats = std::array<uint64_t, O2C_PSTAT_COUNT>;
// A short name for a counter ("positives", "samples_lost", ...).
const char* ProfileStatName(o2c_profile_stat stat);

class ProfilerPrograms {
 public:
  // Opens, configures and loads the programs (nothing attached yet).
  static absl::StatusOr<std::unique_ptr<ProfilerPrograms>> Load(const ProfilerConfig& config);
  ~ProfilerPrograms();

  // Attaches the four entry points of the loaded flavour; all or nothing.
  absl::Status Attach();
  // Detaches them (samples already in the ring buffer can still be polled).
  void Detach();

  // Counters summed over CPUs.
  absl::StatusOr<ProfilerStats> ReadStats() const;
  // Delivers pending samples to `on_sample`, waiting up to `timeout_ms` for
  // the first, at most a few thousand per call (poll again until it returns
  // 0 to drain); returns how many were delivered. `raw` holds the sample's
  // O2C_PROFILE_RAW_WORDS words when the config asked for them (zeros if
  // they could not be read: sample.has_raw says), else it is empty. Both
  // are valid only during the call.
  using RawSampleCallback =
      std::function<void(const o2c_sample& sample, absl::Span<const __u64> raw)>;
  absl::StatusOr<int> PollSamples(int timeout_ms, const RawSampleCallback& on_sample);
  // The same without the raw words.
  absl::StatusOr<int> PollSamples(int timeout_ms,
                                  const std::function<void(const o2c_sample&)>& on_sample);

 private:
  struct State;
  explicit ProfilerPrograms(std::unique_ptr<State> state);

  std::unique_ptr<State> state_;
};

}  // namespace o2c::bpf

#endif  // O2C_BPF_PROFILER_PROGRAMS_H_
