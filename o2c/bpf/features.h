/* The audition features: what BPF computes about an object at a free site,
 * from the object pointer alone (lib/features.bpf.h computes them; the
 * enforcer and the preparation phase's profiler share that one extractor).
 * Shared by BPF and C++; feature_schema.h names them for model files.
 *
 * Every feature describes the OBJECT, never where or by whom it is freed: a
 * training negative is freed by kernel code elsewhere, but in an attack the
 * same object would be freed at a compartment site, so a "free site" feature
 * would separate the training classes without meaning anything. For the same
 * reason no feature says whether a word points at a *tracked* object: a
 * training positive's children are tracked, an untracked object's children
 * at enforcement time are not. */
#ifndef O2C_BPF_FEATURES_H_
#define O2C_BPF_FEATURES_H_

#include "o2c/bpf/shared_abi.h"

/* Bump when a feature's meaning changes: models carry it and the enforcer
 * refuses a model trained for another version. */
#define O2C_FEATURES_VERSION 1

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

/* Feature indexes in o2c_features.value[]. */
enum o2c_feature {
  O2C_F_SIZE = 0,        /* object size when the free says it (kmem_cache_free), else -1 */
  O2C_F_ALIGN = 1,       /* trailing zero bits of the address, capped at 12 */
  O2C_F_NR_NULL = 2,     /* words of each class, among the first O2C_FEATURE_WORDS */
  O2C_F_NR_SMALL = 3,
  O2C_F_NR_USER = 4,
  O2C_F_NR_SELF = 5,
  O2C_F_NR_COMPARTMENT = 6,
  O2C_F_NR_KERNEL_TEXT = 7,
  O2C_F_NR_KERNEL = 8,
  O2C_F_NR_OTHER = 9,
  O2C_F_WORD0 = 10,      /* class of word 0, 1, ... (enum o2c_word_class) */
  O2C_F_COUNT = O2C_F_WORD0 + O2C_FEATURE_WORDS,
};

/* The same numbers as plain constants, for C++ switch statements. */
O2C_ABI_ASSERT(O2C_F_COUNT == 18, "feature count");
O2C_ABI_ASSERT(O2C_F_NR_NULL + O2C_WORD_CLASSES == O2C_F_WORD0, "one count per class");

#endif /* O2C_BPF_FEATURES_H_ */
