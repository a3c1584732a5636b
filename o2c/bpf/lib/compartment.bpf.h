/* The compartment as a tracking program sees it: its code, its allocation
 * and free sites and the kernel's text, set by the loader before load
 * (compartment_rodata.h), and the lookups over them. Shared by the enforcer
 * and the profiler, which must see a compartment the same way. */
#ifndef O2C_BPF_LIB_COMPARTMENT_BPF_H_
#define O2C_BPF_LIB_COMPARTMENT_BPF_H_

#include "o2c/bpf/enforcer.h"
#include "o2c/bpf/kmem_sites.h"
#include "o2c/bpf/lib/features.bpf.h"
#include "o2c/bpf/lib/ranges.bpf.h"

/* Sorted, disjoint ranges; an exact call site is the range
 * [return address, return address + 1). */
const volatile __u32 nr_code = 0;
const volatile struct o2c_code_range code_ranges[O2C_MAX_RANGES] = {};
const volatile __u32 nr_alloc_sites = 0;
const volatile struct o2c_code_range alloc_sites[O2C_MAX_RANGES] = {};
const volatile __u32 nr_free_sites = 0;
const volatile struct o2c_code_range free_sites[O2C_MAX_RANGES] = {};
const volatile __u64 text_start = 0;
const volatile __u64 text_end = 0;

static __always_inline bool in_ranges(const volatile struct o2c_code_range *r, __u32 n,
                                      __u64 ip)
{
  return o2c_find_range(r, n, O2C_MAX_RANGES, ip) >= 0;
}

/* The feature extractor's view of this compartment. */
static __always_inline struct o2c_extractor_config o2c_compartment_extractor(void)
{
  struct o2c_extractor_config cfg = {
      .compartment = code_ranges,
      .nr_compartment = nr_code,
      .max_compartment = O2C_MAX_RANGES,
      .text_start = text_start,
      .text_end = text_end,
  };

  return cfg;
}

#endif /* O2C_BPF_LIB_COMPARTMENT_BPF_H_ */
