/* Structs shared by kmem_sites.bpf.c and its C++ loader (KmemSitesPrograms):
 * which call sites to watch, and what was counted there. */
#ifndef O2C_BPF_KMEM_SITES_H_
#define O2C_BPF_KMEM_SITES_H_

#include "o2c/bpf/shared_abi.h"

/* Most code ranges one program watches (binary search: 7 steps). */
#define O2C_MAX_SITE_RANGES 128

/* A code range [start, end): a function, or a part of one. */
struct o2c_code_range {
  __u64 start;
  __u64 end;
};
O2C_ABI_ASSERT(sizeof(struct o2c_code_range) == 16, "o2c_code_range size");
O2C_ABI_ASSERT(O2C_OFFSETOF(struct o2c_code_range, end) == 8, "o2c_code_range.end");

/* Allocator events whose call_site fell in one code range (per CPU). */
struct o2c_site_counts {
  __u64 allocs;      /* kmalloc + kmem_cache_alloc returning an object */
  __u64 alloc_bytes; /* bytes allocated (kmalloc: bytes_alloc; cache: object_size) */
  __u64 frees;       /* kfree + kmem_cache_free of a non-NULL object */
  __u64 null_frees;  /* kfree(NULL) and failed allocations, kept apart */
};
O2C_ABI_ASSERT(sizeof(struct o2c_site_counts) == 32, "o2c_site_counts size");
O2C_ABI_ASSERT(O2C_OFFSETOF(struct o2c_site_counts, alloc_bytes) == 8, "alloc_bytes");
O2C_ABI_ASSERT(O2C_OFFSETOF(struct o2c_site_counts, frees) == 16, "frees");
O2C_ABI_ASSERT(O2C_OFFSETOF(struct o2c_site_counts, null_frees) == 24, "null_frees");

#endif /* O2C_BPF_KMEM_SITES_H_ */
