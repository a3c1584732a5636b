// SPDX-License-Identifier: GPL-2.0
/* The enforcer's kernel side: the compartment's private heap and its free
 * sites, on the four kmem tracepoints (tp_btf, or raw_tp where tp_btf cannot
 * read the object pointer; the loader enables one flavour). Tracepoints,
 * not kprobes or fentry, even where those work: see kmem_hooks.h.
 *
 * - allocation at a compartment allocation site: track the object;
 * - free of a tracked object: untrack it (counting frees by outside code);
 * - free of an untracked object at a compartment free site: in the
 *   transition phase, extract its features and tail-call the generated
 *   audition tree, whose verdict comes back in the verdict_* continuation;
 *   in the final phase, a violation.
 * A violation is recorded with its stack, and by policy the task gets
 * SIGKILL and the compartment is quarantined. A tracepoint sees a free
 * before it happens but cannot skip it: this detects, it does not block. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "o2c/bpf/codegen/audition.h"
#include "o2c/bpf/enforcer.h"
#include "o2c/bpf/kmem_sites.h"
#include "o2c/bpf/lib/compartment.bpf.h"
#include "o2c/bpf/lib/quarantine_map.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader before load (the compartment's: lib/compartment.bpf.h). */
const volatile __u32 actions = O2C_ACTION_AUDIT;
const volatile __u32 object_events = 1; /* TRACKED / FREED events on or off */
/* Only this process's events (tests, demos); 0: the whole system. */
const volatile __u32 target_tgid = 0;

/* Written by user space while attached (aligned 32-bit stores: atomic). */
__u32 phase = O2C_PHASE_TRANSITION;

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, O2C_STAT_COUNT);
  __type(key, __u32);
  __type(value, __u64);
} stats SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 1 << 20); /* the policy's size, set by the loader */
} events SEC(".maps");

/* One audition in flight per CPU: features in, verdict out. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct o2c_audition);
} scratch SEC(".maps");

/* Per free hook (tail calls stay within one attach point): slot
 * O2C_AUDITION_SLOT_TREE holds the generated tree loaded for that hook,
 * O2C_AUDITION_SLOT_VERDICT the verdict_* continuation below. */
struct {
  __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
  __uint(max_entries, O2C_AUDITION_SLOTS);
  __type(key, __u32);
  __type(value, __u32);
} audition_kfree SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
  __uint(max_entries, O2C_AUDITION_SLOTS);
  __type(key, __u32);
  __type(value, __u32);
} audition_cache_free SEC(".maps");

#include "o2c/bpf/lib/heap_tracker.bpf.h"
#include "o2c/bpf/lib/stats.bpf.h"

static __always_inline bool out_of_scope(void)
{
  return target_tgid && (bpf_get_current_pid_tgid() >> 32) != target_tgid;
}

static __always_inline void violation(void *ctx, __u32 kind, __u64 object, __u64 site,
                                      __s64 size, __s32 label, __s32 leaf_id)
{
  __u32 taken = O2C_ACTION_AUDIT;
  struct o2c_event *e;

  o2c_count(O2C_STAT_VIOLATIONS);
  if (actions & O2C_ACTION_KILL) {
    /* Delivered before the task returns to user space: the exploit never
     * takes its next step. The free itself still happens. */
    if (bpf_send_signal(9 /* SIGKILL */) == 0) {
      o2c_count(O2C_STAT_KILLS);
      taken |= O2C_ACTION_KILL;
    }
  }
  if (actions & O2C_ACTION_QUARANTINE) {
    __u32 zero = 0;
    __u32 *q = bpf_map_lookup_elem(&quarantine, &zero);

    if (q) {
      *q = 1;
      taken |= O2C_ACTION_QUARANTINE;
    }
  }
  e = o2c_event_reserve(O2C_EVENT_VIOLATION, object, site);
  if (!e)
    return;
  e->detail = kind;
  e->size = size;
  e->label = label;
  e->leaf_id = leaf_id;
  e->actions = taken;
  e->stack_bytes = bpf_get_stack(ctx, e->stack, sizeof(e->stack), 0);
  o2c_event_submit(e);
}

static __always_inline __u64 object_size(struct kmem_cache *s)
{
  return s ? BPF_CORE_READ(s, object_size) : 0;
}

/* `size` is the allocation's size, or 0 when it is the cache's object size:
 * read only for the compartment's own allocations. */
static __always_inline void on_alloc(__u64 call_site, __u64 ptr, __u64 size,
                                     struct kmem_cache *cache)
{
  struct o2c_object info;
  struct o2c_event *e;
  enum o2c_track_result tracked;

  if (!ptr || !in_ranges(alloc_sites, nr_alloc_sites, call_site) || out_of_scope())
    return;
  info.size = cache ? object_size(cache) : size;
  info.site = call_site;
  info.cache = (__u64)cache;
  /* Jiffies cost a load; bpf_ktime_get_ns() costs ~45 ns on this VM's
   * clock, 40% of this path (pipe_loop_bench), and tracing programs may not
   * use the coarse clock. */
  info.jiffies = bpf_jiffies64();
  tracked = o2c_track(ptr, &info);
  if (tracked == O2C_TRACK_FULL) {
    o2c_count(O2C_STAT_MAP_FULL);
    e = o2c_event_reserve(O2C_EVENT_MAP_FULL, ptr, call_site);
    if (e) {
      e->size = size;
      o2c_event_submit(e);
    }
    return;
  }
  o2c_count(O2C_STAT_TRACKED);
  if (tracked == O2C_TRACKED_IN_OVERFLOW)
    o2c_count(O2C_STAT_OVERFLOWED);
  if (object_events) {
    e = o2c_event_reserve(O2C_EVENT_TRACKED, ptr, call_site);
    if (e) {
      e->size = size;
      o2c_event_submit(e);
    }
  }
}

/* `cache` is the object's slab cache, or NULL for kfree (size unknown). */
static __always_inline void on_free(void *ctx, void *prog_array, __u64 call_site, __u64 ptr,
                                    struct kmem_cache *cache)
{
  struct o2c_extractor_config cfg = o2c_compartment_extractor();
  struct o2c_object info;
  struct o2c_audition *a;
  struct o2c_event *e;
  __u32 zero = 0;
  __s64 size;

  if (!ptr || out_of_scope())
    return;
  if (o2c_untrack(ptr, &info)) {
    bool by_kernel = !in_ranges(code_ranges, nr_code, call_site);

    o2c_count(by_kernel ? O2C_STAT_FREED_BY_KERNEL : O2C_STAT_FREED_OWN);
    if (object_events) {
      e = o2c_event_reserve(O2C_EVENT_FREED, ptr, call_site);
      if (e) {
        e->detail = by_kernel;
        e->size = info.size;
        o2c_event_submit(e);
      }
    }
    return;
  }
  if (!in_ranges(free_sites, nr_free_sites, call_site))
    return;
  /* The compartment frees an object it never allocated while we watched. */
  o2c_count(O2C_STAT_UNTRACKED_FREES);
  size = cache ? (__s64)object_size(cache) : -1;
  if (phase == O2C_PHASE_FINAL) {
    violation(ctx, O2C_VIOLATION_UNTRACKED_FREE, ptr, call_site, size, -1, -1);
    return;
  }
  a = bpf_map_lookup_elem(&scratch, &zero);
  if (!a)
    return;
  o2c_extract_features(&cfg, &a->features, ptr, size);
  a->object = ptr;
  a->site = call_site;
  a->verdict.label = -1;
  a->verdict.leaf_id = -1;
  bpf_tail_call(ctx, prog_array, O2C_AUDITION_SLOT_TREE);
  /* Reached only when no tree is installed for this hook. */
  violation(ctx, O2C_VIOLATION_NO_MODEL, ptr, call_site, size, -1, -1);
}

/* After the tree: act on its verdict. */
static __always_inline int on_verdict(void *ctx)
{
  struct o2c_audition *a;
  struct o2c_event *e;
  __u32 zero = 0;

  a = bpf_map_lookup_elem(&scratch, &zero);
  if (!a)
    return 0;
  if (a->verdict.label == O2C_LABEL_OWN) {
    o2c_count(O2C_STAT_AUDITION_OWN);
  } else {
    o2c_count(O2C_STAT_AUDITION_KERNEL);
  }
  e = o2c_event_reserve(O2C_EVENT_AUDITION, a->object, a->site);
  if (e) {
    e->size = a->features.value[O2C_F_SIZE];
    e->label = a->verdict.label;
    e->leaf_id = a->verdict.leaf_id;
    o2c_event_submit(e);
  }
  if (a->verdict.label != O2C_LABEL_OWN)
    violation(ctx, O2C_VIOLATION_AUDITION, a->object, a->site,
              a->features.value[O2C_F_SIZE], a->verdict.label, a->verdict.leaf_id);
  return 0;
}

/* tp_btf entry points. */
SEC("tp_btf/kmalloc")
int BPF_PROG(btf_kmalloc, unsigned long call_site, const void *ptr, size_t bytes_req,
             size_t bytes_alloc)
{
  on_alloc(call_site, (__u64)ptr, bytes_alloc, NULL);
  return 0;
}

SEC("tp_btf/kmem_cache_alloc")
int BPF_PROG(btf_kmem_cache_alloc, unsigned long call_site, const void *ptr,
             struct kmem_cache *s)
{
  on_alloc(call_site, (__u64)ptr, 0, s);
  return 0;
}

SEC("tp_btf/kfree")
int BPF_PROG(btf_kfree, unsigned long call_site, const void *ptr)
{
  on_free(ctx, &audition_kfree, call_site, (__u64)ptr, NULL);
  return 0;
}

SEC("tp_btf/kmem_cache_free")
int BPF_PROG(btf_kmem_cache_free, unsigned long call_site, const void *ptr,
             struct kmem_cache *s)
{
  on_free(ctx, &audition_cache_free, call_site, (__u64)ptr, s);
  return 0;
}

SEC("tp_btf/kfree")
int verdict_btf_kfree(void *ctx) { return on_verdict(ctx); }

SEC("tp_btf/kmem_cache_free")
int verdict_btf_kmem_cache_free(void *ctx) { return on_verdict(ctx); }

/* raw_tp entry points: untyped u64 arguments. */
SEC("raw_tp/kmalloc")
int BPF_PROG(raw_kmalloc, __u64 call_site, __u64 ptr, __u64 bytes_req, __u64 bytes_alloc)
{
  on_alloc(call_site, ptr, bytes_alloc, NULL);
  return 0;
}

SEC("raw_tp/kmem_cache_alloc")
int BPF_PROG(raw_kmem_cache_alloc, __u64 call_site, __u64 ptr, __u64 s)
{
  on_alloc(call_site, ptr, 0, (struct kmem_cache *)s);
  return 0;
}

SEC("raw_tp/kfree")
int BPF_PROG(raw_kfree, __u64 call_site, __u64 ptr)
{
  on_free(ctx, &audition_kfree, call_site, ptr, NULL);
  return 0;
}

SEC("raw_tp/kmem_cache_free")
int BPF_PROG(raw_kmem_cache_free, __u64 call_site, __u64 ptr, __u64 s)
{
  on_free(ctx, &audition_cache_free, call_site, ptr, (struct kmem_cache *)s);
  return 0;
}

SEC("raw_tp/kfree")
int verdict_raw_kfree(void *ctx) { return on_verdict(ctx); }

SEC("raw_tp/kmem_cache_free")
int verdict_raw_kmem_cache_free(void *ctx) { return on_verdict(ctx); }

