// How the feature extractor finds an object's slab cache on the running
// kernel (enum o2c_slab_lookup in features.h): the bpf_get_kmem_cache kfunc
// where the kernel has it, else the walk through struct page, for which the
// kernel's memory-layout variables must be in kallsyms.
#ifndef O2C_BPF_LOADER_SLAB_LOOKUP_H_
#define O2C_BPF_LOADER_SLAB_LOOKUP_H_

#include <string>

#include "o2c/bpf/features.h"
#include "o2c/bpf/kernel/kallsyms.h"

namespace o2c::bpf {

// The chosen lookup and what it needs.
struct SlabLookup {
  o2c_slab_lookup method = O2C_SLAB_LOOKUP_NONE;
  o2c_slab_layout layout = {};  // for O2C_SLAB_LOOKUP_WALK; zeros otherwise
  std::string why;              // one line: which method, or why none works
};

// The lookup for a kernel without the kfunc whose symbols are `kallsyms`:
// the walk if they name its variables, else none. Pure: tests feed it other
// tables.
SlabLookup SlabLookupWithoutKfunc(const Kallsyms& kallsyms);

// The running kernel's lookup: probes the kfunc and reads /proc/kallsyms
// once per process (the answer cannot change while the kernel runs).
// Thread-safe.
const SlabLookup& RunningKernelSlabLookup();

// "kfunc", "walk" or "none".
const char* SlabLookupName(o2c_slab_lookup method);

}  // namespace o2c::bpf

#endif  // O2C_BPF_LOADER_SLAB_LOOKUP_H_
