/* The compartment as a tracking program sees it: its code, its allocation
 * and free sites, the kernel's text and how to find an object's slab, set by
 * the loader before load (compartment_rodata.h), and the lookups over them.
 * Shared by the enforcer and the profiler, which must see a compartment the
 * same way. */
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
/* Allocating wrappers reported inside themselves (kvmalloc, nla_strdup):
 * their code, where such a call_site lies. */
const volatile __u32 nr_wrapper_code = 0;
const volatile struct o2c_code_range wrapper_code[O2C_MAX_WRAPPER_RANGES] = {};
const volatile __u64 text_start = 0;
const volatile __u64 text_end = 0;
const volatile __u32 slab_lookup = O2C_SLAB_LOOKUP_NONE; /* enum o2c_slab_lookup */
const volatile struct o2c_slab_layout slab_layout = {};

static __always_inline bool in_ranges(const volatile struct o2c_code_range *r, __u32 n,
                                      __u64 ip)
{
  return o2c_find_range(r, n, O2C_MAX_RANGES, ip) >= 0;
}

/* Frames read to find who called an allocating wrapper: the allocator's
 * own, the wrapper's, and a few in case one wrapper calls another. */
#define O2C_WRAPPER_FRAMES 6

/* The call_site an allocation is attributed to. A wrapper reported inside
 * itself (its call_site lies in wrapper_code) is attributed to the first
 * return address above it on the stack that is in no wrapper: when that is
 * the compartment's call of the wrapper, one of alloc_sites matches it. Any
 * other call_site is returned as it is; without wrappers this costs one
 * compare. */
static __always_inline __u64 o2c_alloc_call_site(void *ctx, __u64 call_site)
{
  __u64 frames[O2C_WRAPPER_FRAMES] = {};
  bool above = false;
  long n;

  if (nr_wrapper_code == 0 ||
      o2c_find_range(wrapper_code, nr_wrapper_code, O2C_MAX_WRAPPER_RANGES, call_site) < 0)
    return call_site;
  n = bpf_get_stack(ctx, frames, sizeof(frames), 0);
  if (n <= 0)
    return call_site;
  for (int i = 0; i < O2C_WRAPPER_FRAMES && i < (__u64)n / 8; i++) {
    if (!above) {
      above = frames[i] == call_site;
      continue;
    }
    if (o2c_find_range(wrapper_code, nr_wrapper_code, O2C_MAX_WRAPPER_RANGES, frames[i]) < 0)
      return frames[i];
  }
  return call_site;
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
      .slab_lookup = slab_lookup,
      .slab_layout = {
          .vmemmap_base = slab_layout.vmemmap_base,
          .page_offset_base = slab_layout.page_offset_base,
          .max_pfn = slab_layout.max_pfn,
      },
  };

  return cfg;
}

#endif /* O2C_BPF_LIB_COMPARTMENT_BPF_H_ */
