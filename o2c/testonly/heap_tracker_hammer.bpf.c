// SPDX-License-Identifier: GPL-2.0
/* Drives lib/heap_tracker.bpf.h from user space: a BPF_PROG_TYPE_SYSCALL
 * program run by BPF_PROG_TEST_RUN on the caller's CPU, so threads pinned to
 * different CPUs claim and release keys at the same time. */
#include "vmlinux.h"

#include <bpf/bpf_helpers.h>

#include "o2c/testonly/heap_tracker_hammer.h"
#include "o2c/bpf/lib/heap_tracker.bpf.h"

char LICENSE[] SEC("license") = "GPL";

struct hammer_state {
  struct o2c_hammer_args args;
};

static long hammer_one(__u32 i, void *ctx)
{
  struct hammer_state *s = ctx;
  __u64 key = s->args.first_key + i * s->args.stride;
  struct o2c_object info = {.size = 64, .site = key, .uid = i};

  if (s->args.op == O2C_HAMMER_CLAIM) {
    switch (o2c_track(key, &info)) {
    case O2C_TRACKED_IN_BUCKET:
      s->args.in_bucket++;
      break;
    case O2C_TRACKED_IN_OVERFLOW:
      s->args.in_overflow++;
      break;
    case O2C_TRACK_FULL:
      s->args.full++;
      break;
    }
  } else if (o2c_untrack(key, &info)) {
    s->args.released++;
  } else {
    s->args.not_found++;
  }
  return 0;
}

SEC("syscall")
int hammer(struct o2c_hammer_args *args)
{
  struct hammer_state s = {};

  s.args.first_key = args->first_key;
  s.args.stride = args->stride;
  s.args.count = args->count;
  s.args.op = args->op;
  bpf_loop(s.args.count, hammer_one, &s, 0);
  args->in_bucket = s.args.in_bucket;
  args->in_overflow = s.args.in_overflow;
  args->full = s.args.full;
  args->released = s.args.released;
  args->not_found = s.args.not_found;
  return 0;
}
