// Configuring a tracking program's view of the compartment before load:
// the globals of lib/compartment.bpf.h (code, allocation and free sites,
// kernel text) and its ring buffer's size. For the enforcer and the
// profiler, whose skeletons and configs name these fields alike.
#ifndef O2C_BPF_LOADER_COMPARTMENT_RODATA_H_
#define O2C_BPF_LOADER_COMPARTMENT_RODATA_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "o2c/bpf/kernel/code_ranges.h"
#include "o2c/bpf/enforcer.h"
#include "o2c/bpf/loader/slab_lookup.h"

namespace o2c::bpf {

// InvalidArgument, naming `what`, unless `bytes` is a power of 2 of at
// least a page (what a BPF ring buffer must be).
absl::Status CheckRingBufferBytes(const std::string& what, uint32_t bytes);

// Copies `config`'s code, alloc_sites, free_sites and alloc_wrappers (merged) and
// kernel_text into the program's rodata `ro`, with the running kernel's slab
// lookup (RunningKernelSlabLookup) for the feature extractor. `what` ("enforcer") names the
// program in errors.
template <typename Rodata, typename Config>
absl::Status SetCompartmentRodata(const std::string& what, const Config& config, Rodata* ro) {
  absl::Status s = CopyMergedRanges(absl::StrCat(what, " code"), config.code, O2C_MAX_RANGES,
                                    ro->code_ranges, &ro->nr_code);
  if (s.ok()) {
    s = CopyMergedRanges(absl::StrCat(what, " allocation sites"), config.alloc_sites,
                         O2C_MAX_RANGES, ro->alloc_sites, &ro->nr_alloc_sites);
  }
  if (s.ok()) {
    s = CopyMergedRanges(absl::StrCat(what, " free sites"), config.free_sites, O2C_MAX_RANGES,
                         ro->free_sites, &ro->nr_free_sites);
  }
  if (s.ok()) {
    s = CopyMergedRanges(absl::StrCat(what, " allocating wrappers"), config.alloc_wrappers,
                         O2C_MAX_WRAPPER_RANGES, ro->wrapper_code, &ro->nr_wrapper_code);
  }
  ro->text_start = config.kernel_text.start;
  ro->text_end = config.kernel_text.end;
  const SlabLookup& slab = RunningKernelSlabLookup();
  ro->slab_lookup = slab.method;
  ro->slab_layout.vmemmap_base = slab.layout.vmemmap_base;
  ro->slab_layout.page_offset_base = slab.layout.page_offset_base;
  ro->slab_layout.max_pfn = slab.layout.max_pfn;
  return s;
}

}  // namespace o2c::bpf

#endif  // O2C_BPF_LOADER_COMPARTMENT_RODATA_H_
