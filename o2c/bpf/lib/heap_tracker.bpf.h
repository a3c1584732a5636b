/* The private heap: objects allocated at compartment allocation sites.
 *
 * Most kmem events are not the compartment's, so the question "is this
 * object tracked?" must be nearly free. The table is an array of buckets of
 * O2C_BUCKET_SLOTS addresses, indexed by a hash of the address; array
 * lookups are inlined by the verifier, so there is no lock and no helper
 * call. In front of the buckets, a small array counts each bucket's objects
 * (4 bytes a bucket, so it stays in cache where the buckets would not): a
 * free of an untracked object usually costs one load of a zero. Slots are
 * claimed and released with compare-and-swap. An object whose bucket is
 * full goes to an overflow hash map, consulted only while it holds
 * something. A live-object counter caps the total at the policy's
 * max_tracked_objects, exactly.
 *
 * Contract: claims of one address never overlap (the allocator hands an
 * address out again only after its free); its releases may (a double free:
 * one wins), and claims and releases of other addresses in the same bucket
 * run on any CPU at once (heap_tracker_hammer_test).
 *
 * Kernel side only; included by the enforcer and the profiler, which must be
 * built with -mcpu=v3 (atomics with fetch and cmpxchg). The loader sizes the
 * maps and sets the constants (heap_tracker_maps.h). */
#ifndef O2C_BPF_LIB_HEAP_TRACKER_BPF_H_
#define O2C_BPF_LIB_HEAP_TRACKER_BPF_H_

#include "o2c/bpf/enforcer.h"

#define O2C_BUCKET_SLOTS 4

struct o2c_bucket {
  __u64 key[O2C_BUCKET_SLOTS]; /* object addresses; 0: free slot */
  struct o2c_object object[O2C_BUCKET_SLOTS];
};

/* Set by the loader: a power of 2 minus 1, and the most live objects. */
const volatile __u32 o2c_heap_bucket_mask = 0;
const volatile __s64 o2c_heap_capacity = 0;

/* Live tracked objects, and how many of them are in the overflow map. */
__s64 o2c_heap_live = 0;
__s64 o2c_heap_overflow_live = 0;

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1); /* set by the loader */
  __type(key, __u32);
  __type(value, struct o2c_bucket);
} tracked SEC(".maps");

/* Objects in each bucket. */
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1); /* set by the loader: as many as buckets */
  __type(key, __u32);
  __type(value, __u32);
} tracked_counts SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1); /* set by the loader */
  __type(key, __u64);
  __type(value, struct o2c_object);
} tracked_overflow SEC(".maps");

enum o2c_track_result {
  O2C_TRACKED_IN_BUCKET = 0,
  O2C_TRACKED_IN_OVERFLOW = 1,
  O2C_TRACK_FULL = -1, /* max_tracked_objects are live: not tracked */
};

static __always_inline __u32 o2c_bucket_index(__u64 object)
{
  /* Fibonacci hashing of the address (slab objects are >= 8-byte aligned). */
  return (__u32)(((object >> 3) * 0x9E3779B97F4A7C15ULL) >> 40) & o2c_heap_bucket_mask;
}

/* Tracks `object` with its record. */
static __always_inline enum o2c_track_result o2c_track(__u64 object,
                                                        const struct o2c_object *info)
{
  __u32 index = o2c_bucket_index(object);
  struct o2c_bucket *b = bpf_map_lookup_elem(&tracked, &index);
  __u32 *count = bpf_map_lookup_elem(&tracked_counts, &index);
  long err;

  if (!b || !count)
    return O2C_TRACK_FULL;
  /* Already tracked: it was reallocated before we saw its free. */
  for (int i = 0; i < O2C_BUCKET_SLOTS; i++) {
    if (b->key[i] == object) {
      b->object[i] = *info;
      return O2C_TRACKED_IN_BUCKET;
    }
  }
  if (o2c_heap_overflow_live) {
    struct o2c_object *old = bpf_map_lookup_elem(&tracked_overflow, &object);

    if (old) {
      *old = *info;
      return O2C_TRACKED_IN_OVERFLOW;
    }
  }
  if (__sync_fetch_and_add(&o2c_heap_live, 1) >= o2c_heap_capacity) {
    __sync_fetch_and_add(&o2c_heap_live, -1);
    return O2C_TRACK_FULL;
  }
  for (int i = 0; i < O2C_BUCKET_SLOTS; i++) {
    if (b->key[i] == 0 && __sync_val_compare_and_swap(&b->key[i], 0, object) == 0) {
      /* Nobody reads the record before the allocation returns. */
      b->object[i] = *info;
      __sync_fetch_and_add(count, 1);
      return O2C_TRACKED_IN_BUCKET;
    }
  }
  /* NOEXIST: an object is counted live once, whatever else races. */
  err = bpf_map_update_elem(&tracked_overflow, &object, info, BPF_NOEXIST);
  if (err) {
    __sync_fetch_and_add(&o2c_heap_live, -1);
    return O2C_TRACK_FULL;
  }
  __sync_fetch_and_add(&o2c_heap_overflow_live, 1);
  return O2C_TRACKED_IN_OVERFLOW;
}

/* Untracks `object` if it is tracked, copying its record to *info; returns
 * whether it was tracked. */
static __always_inline bool o2c_untrack(__u64 object, struct o2c_object *info)
{
  __u32 index = o2c_bucket_index(object);
  __u32 *count = bpf_map_lookup_elem(&tracked_counts, &index);
  struct o2c_object *found;
  struct o2c_bucket *b;

  if (count && *count && (b = bpf_map_lookup_elem(&tracked, &index))) {
    for (int i = 0; i < O2C_BUCKET_SLOTS; i++) {
      if (b->key[i] == object) {
        *info = b->object[i];
        /* A concurrent free of the same object (a double free) may win. */
        if (__sync_val_compare_and_swap(&b->key[i], object, 0) != object)
          return false;
        __sync_fetch_and_add(count, -1);
        __sync_fetch_and_add(&o2c_heap_live, -1);
        return true;
      }
    }
  }
  if (!o2c_heap_overflow_live)
    return false;
  found = bpf_map_lookup_elem(&tracked_overflow, &object);
  if (!found)
    return false;
  *info = *found;
  if (bpf_map_delete_elem(&tracked_overflow, &object))
    return false;
  __sync_fetch_and_add(&o2c_heap_overflow_live, -1);
  __sync_fetch_and_add(&o2c_heap_live, -1);
  return true;
}

/* Whether `object` is tracked, without changing anything (for walks that
 * run beside the tracking programs and share their maps). */
static __always_inline bool o2c_is_tracked(__u64 object)
{
  __u32 index = o2c_bucket_index(object);
  struct o2c_bucket *b = bpf_map_lookup_elem(&tracked, &index);

  if (b) {
    for (int i = 0; i < O2C_BUCKET_SLOTS; i++) {
      if (b->key[i] == object)
        return true;
    }
  }
  return bpf_map_lookup_elem(&tracked_overflow, &object) != NULL;
}

#endif /* O2C_BPF_LIB_HEAP_TRACKER_BPF_H_ */
