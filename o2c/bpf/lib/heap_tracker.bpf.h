/* The private heap: objects allocated at compartment allocation sites, in
 * the `tracked` hash map, summarized by a counting filter (`summary`) so that
 * the common free — kernel code freeing an object never tracked — costs one
 * array load instead of a hash lookup. Kernel side only; the including
 * program defines the maps. */
#ifndef O2C_BPF_LIB_HEAP_TRACKER_BPF_H_
#define O2C_BPF_LIB_HEAP_TRACKER_BPF_H_

#include "o2c/bpf/enforcer_abi.h"

static __always_inline __u32 o2c_summary_slot(__u64 object)
{
  /* Fibonacci hashing of the address (slab objects are >= 8-byte aligned). */
  return (__u32)(((object >> 3) * 0x9E3779B97F4A7C15ULL) >> 48) & (O2C_SUMMARY_SLOTS - 1);
}

/* Whether `object` may be tracked (false: certainly not). */
static __always_inline bool o2c_maybe_tracked(__u64 object)
{
  __u32 slot = o2c_summary_slot(object);
  __u32 *n = bpf_map_lookup_elem(&summary, &slot);

  return n && *n;
}

/* Tracks `object`; returns 0, or -E2BIG when the map is full. */
static __always_inline long o2c_track(__u64 object, const struct o2c_object *info)
{
  __u32 slot = o2c_summary_slot(object);
  __u32 *n;
  long err = bpf_map_update_elem(&tracked, &object, info, BPF_NOEXIST);

  if (err == -17 /* EEXIST: reallocated before we saw its free */) {
    return bpf_map_update_elem(&tracked, &object, info, BPF_EXIST);
  }
  if (err)
    return err;
  n = bpf_map_lookup_elem(&summary, &slot);
  if (n)
    __sync_fetch_and_add(n, 1);
  return 0;
}

/* Untracks `object` if it is tracked, copying its record to *info; returns
 * whether it was tracked. */
static __always_inline bool o2c_untrack(__u64 object, struct o2c_object *info)
{
  __u32 slot = o2c_summary_slot(object);
  struct o2c_object *found = bpf_map_lookup_elem(&tracked, &object);
  __u32 *n;

  if (!found)
    return false;
  *info = *found;
  if (bpf_map_delete_elem(&tracked, &object))
    return false; /* a concurrent free of the same object won the race */
  n = bpf_map_lookup_elem(&summary, &slot);
  if (n)
    __sync_fetch_and_add(n, -1);
  return true;
}

#endif /* O2C_BPF_LIB_HEAP_TRACKER_BPF_H_ */
