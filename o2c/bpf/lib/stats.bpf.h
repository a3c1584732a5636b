/* Per-CPU counters (enum o2c_stat) and ring-buffer events with loss
 * accounting: nothing is dropped silently. Kernel side only; the including
 * program defines the `stats` map and its ring buffers. */
#ifndef O2C_BPF_LIB_STATS_BPF_H_
#define O2C_BPF_LIB_STATS_BPF_H_

#include "o2c/bpf/enforcer.h"

static __always_inline void o2c_count(__u32 stat)
{
  __u64 *slot = bpf_map_lookup_elem(&stats, &stat);

  if (slot)
    (*slot)++;
}

/* A zeroed event of `kind` about the current task in `ring`, or NULL when
 * the ring is full (counted in O2C_STAT_EVENTS_LOST and `lost_stat`).
 * Submit with o2c_event_submit. */
static __always_inline struct o2c_event *o2c_event_reserve(void *ring, __u32 lost_stat,
                                                           __u32 kind, __u64 object,
                                                           __u64 site)
{
  struct o2c_event *e = bpf_ringbuf_reserve(ring, sizeof(*e), 0);
  __u64 id;

  if (!e) {
    o2c_count(O2C_STAT_EVENTS_LOST);
    o2c_count(lost_stat);
    return NULL;
  }
  __builtin_memset(e, 0, sizeof(*e));
  id = bpf_get_current_pid_tgid();
  e->kind = kind;
  e->time_ns = bpf_ktime_get_ns();
  e->pid = (__u32)id;
  e->tgid = id >> 32;
  e->cpu = bpf_get_smp_processor_id();
  e->object = object;
  e->site = site;
  e->leaf_id = -1;
  bpf_get_current_comm(e->comm, sizeof(e->comm));
  return e;
}

/* Submits `e`, counted in O2C_STAT_EVENTS and `sent_stat`. */
static __always_inline void o2c_event_submit(struct o2c_event *e, __u32 sent_stat)
{
  bpf_ringbuf_submit(e, 0);
  o2c_count(O2C_STAT_EVENTS);
  o2c_count(sent_stat);
}

#endif /* O2C_BPF_LIB_STATS_BPF_H_ */
