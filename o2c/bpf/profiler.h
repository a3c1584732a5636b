/* Structs shared by profiler.bpf.c (the preparation phase's kernel side) and
 * its C++ loader (profiler_programs.h): the labelled samples it emits and its
 * counters. The features are the enforcer's (features.h, one extractor). */
#ifndef O2C_BPF_PROFILER_H_
#define O2C_BPF_PROFILER_H_

#include "o2c/bpf/features.h"
#include "o2c/bpf/shared_abi.h"

/* Raw 8-byte words of the object kept with each sample when asked for: the
 * paper's feature choice, at its prototype's 1024 words (8 KiB, the largest
 * slab object; also the audition's O2C_MAX_FEATURES). Only the object's own
 * bytes are copied, from its slab cache's object size; the rest read 0. */
#define O2C_PROFILE_RAW_WORDS 1024

/* Counters, one per-CPU array slot each; nothing is dropped silently. */
enum o2c_profile_stat {
  O2C_PSTAT_TRACKED = 0,         /* compartment allocations tracked */
  O2C_PSTAT_POSITIVES,           /* samples: tracked, freed at a compartment free site */
  O2C_PSTAT_NEGATIVES,           /* samples: untracked, freed outside compartment code */
  O2C_PSTAT_NEGATIVES_SKIPPED,   /* frees outside the compartment not sampled (1 in N kept) */
  O2C_PSTAT_TRACKED_FREED_ELSEWHERE, /* tracked objects freed outside the free sites */
  O2C_PSTAT_UNTRACKED_AT_SITE,   /* untracked objects freed by the compartment: older
                                    than profiling, neither class */
  O2C_PSTAT_MAP_FULL,            /* allocations not tracked: the map was full */
  O2C_PSTAT_SAMPLES_LOST,        /* samples lost: the ring buffer was full */
  O2C_PSTAT_OVERFLOWED,          /* tracked in the overflow map: their bucket was full */
  O2C_PSTAT_RAW_READ_FAILED,     /* raw words unreadable (sample kept, raw zeroed) */
  O2C_PSTAT_COUNT,
};

/* One labelled sample (a ring-buffer record, followed by its raw words in
 * struct o2c_raw_sample when the profiler copies them). */
struct o2c_sample {
  __s32 label;    /* O2C_LABEL_OWN or O2C_LABEL_KERNEL (enforcer_abi.h) */
  __u32 hook;     /* 0: kfree, 1: kmem_cache_free */
  __u64 object;   /* the freed object's address */
  __u64 site;     /* the free's call site */
  __u64 alloc_site; /* positives: the allocation call site; else 0 */
  __s64 features[O2C_F_COUNT];
  __u32 has_raw;  /* raw words were read (struct o2c_raw_sample) */
  __u32 pad;
};
O2C_ABI_ASSERT(O2C_OFFSETOF(struct o2c_sample, features) == 32, "o2c_sample.features");
O2C_ABI_ASSERT(sizeof(struct o2c_sample) == 32 + 8 * O2C_F_COUNT + 8, "o2c_sample size");

/* The ring record when raw words are copied. */
struct o2c_raw_sample {
  struct o2c_sample sample;
  __u64 raw[O2C_PROFILE_RAW_WORDS];
};
O2C_ABI_ASSERT(sizeof(struct o2c_raw_sample) ==
                   sizeof(struct o2c_sample) + 8 * O2C_PROFILE_RAW_WORDS,
               "o2c_raw_sample size");

#endif /* O2C_BPF_PROFILER_H_ */
