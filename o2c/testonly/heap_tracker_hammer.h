/* The heap tracker hammer's ctx (heap_tracker_hammer.bpf.c), shared with its
 * test: one BPF_PROG_TEST_RUN claims or releases `count` keys
 * first_key + i * stride through lib/heap_tracker.bpf.h. */
#ifndef O2C_TESTONLY_HEAP_TRACKER_HAMMER_H_
#define O2C_TESTONLY_HEAP_TRACKER_HAMMER_H_

#include "o2c/bpf/shared_abi.h"

enum o2c_hammer_op {
  O2C_HAMMER_CLAIM = 1,   /* o2c_track each key */
  O2C_HAMMER_RELEASE = 2, /* o2c_untrack each key */
};

struct o2c_hammer_args {
  __u64 first_key;
  __u64 stride;
  __u32 count;
  __u32 op; /* enum o2c_hammer_op */
  /* Out: what the tracker answered. */
  __u32 in_bucket;   /* claims tracked in a bucket */
  __u32 in_overflow; /* claims tracked in the overflow map */
  __u32 full;        /* claims refused: capacity reached */
  __u32 released;    /* releases that found the key tracked */
  __u32 not_found;   /* releases that did not */
  __u32 reserved;
};
O2C_ABI_ASSERT(sizeof(struct o2c_hammer_args) == 48, "o2c_hammer_args size");

#endif /* O2C_TESTONLY_HEAP_TRACKER_HAMMER_H_ */
