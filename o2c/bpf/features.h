/* The audition features: what BPF computes about an object at a free site,
 * from the object pointer alone (lib/features.bpf.h computes them; the
 * enforcer and the preparation phase's profiler share that one extractor).
 * Shared by BPF and C++; feature_schema.h names them for model files.
 *
 * Every feature describes the OBJECT, never where or by whom it is freed: a
 * training negative is freed by kernel code elsewhere, but in an attack the
 * same object would be freed at a compartment site, so a "free site" feature
 * would separate the training classes without meaning anything. So the size
 * and cache come from the slab that holds the address, whatever function
 * frees it, never from the free's arguments. For the same
 * reason no feature says whether a word points at a *tracked* object: a
 * training positive's children are tracked, an untracked object's children
 * at enforcement time are not. */
#ifndef O2C_BPF_FEATURES_H_
#define O2C_BPF_FEATURES_H_

#include "o2c/bpf/shared_abi.h"

/* Bump when a feature's meaning changes: models carry it and the enforcer
 * refuses a model trained for another version. */
#define O2C_FEATURES_VERSION 2

/* Words of the object classified one by one. */
#define O2C_FEATURE_WORDS 8

/* What one 8-byte word of an object holds. */
enum o2c_word_class {
  O2C_WORD_NULL = 0,         /* 0 */
  O2C_WORD_SMALL = 1,        /* |w| < 4096: counters, flags, sizes */
  O2C_WORD_USER = 2,         /* a user-space address */
  O2C_WORD_SELF = 3,         /* points into the object itself (list heads) */
  O2C_WORD_COMPARTMENT = 4,  /* points into compartment code */
  O2C_WORD_KERNEL_TEXT = 5,  /* points into other kernel text */
  O2C_WORD_KERNEL = 6,       /* another kernel address (heap, data, stacks) */
  O2C_WORD_OTHER = 7,        /* anything else (large integers, poison) */
  O2C_WORD_CLASSES = 8,
};

/* What kind of slab cache holds the object. */
enum o2c_cache_kind {
  O2C_CACHE_NONE = 0,      /* in no slab: a page-allocator kmalloc, or not found */
  O2C_CACHE_DEDICATED = 1, /* a named cache (kmem_cache_create) */
  O2C_CACHE_KMALLOC = 2,   /* a kmalloc size class (kmalloc-192, kmalloc-cg-1k, ...) */
};

/* How the extractor finds an object's slab cache from its address (the
 * loader picks the first the running kernel allows). */
enum o2c_slab_lookup {
  O2C_SLAB_LOOKUP_NONE = 0,  /* neither works: size -1, cache kind NONE */
  O2C_SLAB_LOOKUP_KFUNC = 1, /* the bpf_get_kmem_cache kfunc */
  O2C_SLAB_LOOKUP_WALK = 2,  /* address -> struct page -> struct slab, by CO-RE */
};

/* Where O2C_SLAB_LOOKUP_WALK finds the kernel's memory layout: the
 * addresses of its variables (from kallsyms), read at run time because
 * memory-layout randomization places the regions at boot. */
struct o2c_slab_layout {
  __u64 vmemmap_base;     /* &vmemmap_base: the struct page array */
  __u64 page_offset_base; /* &page_offset_base: the direct map */
  __u64 max_pfn;          /* &max_pfn: the highest page frame + 1 */
};

/* Feature indexes in o2c_features.value[]. */
enum o2c_feature {
  O2C_F_SIZE = 0,        /* its slab cache's object size, -1 in no slab */
  O2C_F_CACHE_KIND = 1,  /* enum o2c_cache_kind */
  O2C_F_ALIGN = 2,       /* trailing zero bits of the address, capped at 12 */
  O2C_F_NR_NULL = 3,     /* words of each class, among the first O2C_FEATURE_WORDS */
  O2C_F_NR_SMALL = 4,
  O2C_F_NR_USER = 5,
  O2C_F_NR_SELF = 6,
  O2C_F_NR_COMPARTMENT = 7,
  O2C_F_NR_KERNEL_TEXT = 8,
  O2C_F_NR_KERNEL = 9,
  O2C_F_NR_OTHER = 10,
  O2C_F_WORD0 = 11,      /* class of word 0, 1, ... (enum o2c_word_class) */
  O2C_F_COUNT = O2C_F_WORD0 + O2C_FEATURE_WORDS,
};

/* The same numbers as plain constants, for C++ switch statements. */
O2C_ABI_ASSERT(O2C_F_COUNT == 19, "feature count");
O2C_ABI_ASSERT(O2C_F_NR_NULL + O2C_WORD_CLASSES == O2C_F_WORD0, "one count per class");

#endif /* O2C_BPF_FEATURES_H_ */
