// KmemSitesPrograms: counts the slab allocations and frees made from given code
// ranges (e.g. the functions of fs/pipe.c), live, with kmem_sites.bpf.c.
#ifndef O2C_BPF_KMEM_SITES_PROGRAMS_H_
#define O2C_BPF_KMEM_SITES_PROGRAMS_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "o2c/bpf/kernel/kallsyms.h"
#include "o2c/bpf/kernel/capabilities.h"
#include "o2c/bpf/loader/kmem_hooks.h"

namespace o2c::bpf {

// Totals for one code range, summed over CPUs.
struct SiteCounts {
  uint64_t allocs = 0;
  uint64_t alloc_bytes = 0;
  uint64_t frees = 0;
  uint64_t null_frees = 0;  // kfree(NULL), failed allocations

  SiteCounts& operator+=(const SiteCounts& o);
};

class KmemSitesPrograms {
 public:
  struct Options {
    std::vector<AddressRange> ranges;  // disjoint; at most O2C_MAX_SITE_RANGES
    uint32_t tgid = 0;                 // count only this process (0: all)
  };

  // Loads and attaches the counting programs; the counts start at zero.
  static absl::StatusOr<std::unique_ptr<KmemSitesPrograms>> Start(
      const Options& options, const KernelCapabilities& features);
  ~KmemSitesPrograms();

  // Counts per range, in the order of Options::ranges.
  absl::StatusOr<std::vector<SiteCounts>> Read() const;
  // All ranges together.
  absl::StatusOr<SiteCounts> Total() const;

  KmemHookFlavor flavor() const { return flavor_; }

 private:
  struct State;
  explicit KmemSitesPrograms(std::unique_ptr<State> state, KmemHookFlavor flavor);

  std::unique_ptr<State> state_;
  KmemHookFlavor flavor_;
};

}  // namespace o2c::bpf

#endif  // O2C_BPF_KMEM_SITES_PROGRAMS_H_
