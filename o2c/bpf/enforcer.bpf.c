// SPDX-License-Identifier: GPL-2.0
/* The enforcer's kernel side: the compartment's private heap and its free
 * sites, on the four kmem tracepoints (tp_btf, or raw_tp where tp_btf cannot
 * read the object pointer; the loader enables one flavour), or, on request
 * where kprobes at function+offset work, on kprobes at the compartment's own
 * call sites (site-probe mode, at the end of this file). Never a kprobe or fentry
 * on an allocator or free function: see kmem_hooks.h.
 *
 * - allocation at a compartment allocation site: track the object (unless
 *   the heap or the allocating uid's quota is full: then the heap is
 *   incomplete);
 * - free of a tracked object: untrack it (counting frees by outside code);
 * - free of an untracked object at a compartment free site: in the
 *   transition phase, extract its features and tail-call the generated
 *   audition tree, whose verdict comes back in the verdict_* continuation;
 *   in the final phase, a violation once user space confirmed the phase
 *   (final_confirmed), an audition before that (a late audition).
 * While the heap is incomplete, an untracked free may be an object we failed
 * to track: it is auditioned, and its violation is recorded but takes no
 * action (downgraded). A violation is recorded with its stack, and by policy
 * the task gets SIGKILL (only a user task in process context: see
 * lib/context.bpf.h) and the compartment is quarantined. A tracepoint sees a
 * free before it happens but cannot skip it: this detects, it does not
 * block. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "o2c/bpf/codegen/audition.h"
#include "o2c/bpf/enforcer.h"
#include "o2c/bpf/kmem_sites.h"
#include "o2c/bpf/lib/compartment.bpf.h"
#include "o2c/bpf/lib/quarantine_map.bpf.h"
#include "o2c/bpf/lib/slab.bpf.h"
#include "o2c/bpf/lib/scope.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader before load (the compartment's: lib/compartment.bpf.h). */
const volatile __u32 actions = O2C_ACTION_AUDIT;
const volatile __u32 object_events = 1; /* TRACKED / FREED events on or off */
/* Most live tracked objects one uid may own; 0: no per-uid limit. */
const volatile __u32 uid_quota = 0;
/* The verdict ring's size: bulk verdict records (auditions, untracked
 * allocations) may fill half of it, the other half is kept for violations. */
const volatile __u64 verdict_ring_bytes = 1 << 18;

/* Written by user space while attached (aligned 32-bit stores: atomic). */
__u32 phase = O2C_PHASE_TRANSITION;
/* User space proved no object from before the attach is alive (a census),
 * or the operator decided so: final-phase untracked frees are violations. */
__u32 final_confirmed = 0;
/* Some compartment object may be untracked: set here when an allocation
 * could not be tracked, by user space when it saw missed allocation runs;
 * cleared by user space only. */
__u32 heap_incomplete = 0;
/* The audition model was prepared on another kernel (or an unknown one):
 * its verdicts are reported, never acted on. Set by user space. */
__u32 model_foreign = 0;

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, O2C_STAT_COUNT);
  __type(key, __u32);
  __type(value, __u64);
} stats SEC(".maps");

/* Object events (TRACKED / FREED): many, and may be lost. */
struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 1 << 20); /* the policy's size, set by the loader */
} events SEC(".maps");

/* Verdicts (violations, auditions, untracked allocations): object events
 * cannot take their place. */
struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 1 << 18); /* set by the loader */
} verdicts SEC(".maps");

/* Live tracked objects per uid (only with a uid_quota). */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 4096); /* set by the loader */
  __type(key, __u32);
  __type(value, __u64);
} uid_live SEC(".maps");

/* One audition in flight per CPU and free hook: features in, verdict out.
 * A hook has its own, so a kfree in an interrupt arriving during a
 * kmem_cache_free audition cannot overwrite it (a hook does not nest in
 * itself: the kernel skips a program's nested runs on one CPU). */
struct o2c_scratch_map {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct o2c_audition);
};
struct o2c_scratch_map scratch_kfree SEC(".maps");
struct o2c_scratch_map scratch_cache_free SEC(".maps");

/* What the continuation must know besides the audition: per CPU, per hook. */
enum o2c_free_hook { O2C_HOOK_KFREE = 0, O2C_HOOK_CACHE_FREE = 1, O2C_HOOKS };
struct o2c_pending {
  __u32 flags; /* enum o2c_event_flag bits decided before the audition */
  __u32 reserved;
};
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, O2C_HOOKS);
  __type(key, __u32);
  __type(value, struct o2c_pending);
} pending SEC(".maps");

/* Per free hook (tail calls stay within one attach point): slot
 * O2C_AUDITION_SLOT_TREE holds the generated tree loaded for that hook,
 * O2C_AUDITION_SLOT_VERDICT the verdict_* continuation below. */
struct o2c_audition_array {
  __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
  __uint(max_entries, O2C_AUDITION_SLOTS);
  __type(key, __u32);
  __type(value, __u32);
};
struct o2c_audition_array audition_kfree SEC(".maps");
struct o2c_audition_array audition_cache_free SEC(".maps");

#include "o2c/bpf/lib/context.bpf.h"
#include "o2c/bpf/lib/heap_tracker.bpf.h"
#include "o2c/bpf/lib/stats.bpf.h"

/* kfree(NULL), kfree(ZERO_SIZE_PTR): not objects (ZERO_OR_NULL_PTR). */
#define O2C_ZERO_OR_NULL_MAX 16

static __always_inline bool out_of_scope(void)
{
  if (!target_tgid)
    return false;
  /* The common scoped case costs no walk. */
  if ((bpf_get_current_pid_tgid() >> 32) == target_tgid)
    return false;
  return !scope_descendants || o2c_task_out_of_scope((struct task_struct *)bpf_get_current_task());
}

static __always_inline struct o2c_event *verdict_reserve(__u32 kind, __u64 object, __u64 site)
{
  return o2c_event_reserve(&verdicts, O2C_STAT_VERDICT_EVENTS_LOST, kind, object, site);
}

/* For records that can come in bursts: never past half the verdict ring, so
 * a burst cannot crowd out the violations behind it. */
static __always_inline struct o2c_event *verdict_reserve_bulk(__u32 kind, __u64 object,
                                                              __u64 site)
{
  if (bpf_ringbuf_query(&verdicts, BPF_RB_AVAIL_DATA) > verdict_ring_bytes / 2) {
    o2c_count(O2C_STAT_EVENTS_LOST);
    o2c_count(O2C_STAT_VERDICT_EVENTS_LOST);
    return NULL;
  }
  return verdict_reserve(kind, object, site);
}

static __always_inline void verdict_submit(struct o2c_event *e)
{
  o2c_event_submit(e, O2C_STAT_VERDICT_EVENTS);
}

static __always_inline struct o2c_event *object_reserve(__u32 kind, __u64 object, __u64 site)
{
  return o2c_event_reserve(&events, O2C_STAT_OBJECT_EVENTS_LOST, kind, object, site);
}

/* Takes the policy's actions on a violation in `context` and returns its
 * event, filled but for the caller's fields, to submit (NULL when the ring is
 * full: counted). `flags`: enum o2c_event_flag bits; a downgraded violation
 * takes no action but AUDIT. `bulk`: the event may come in bursts (see
 * verdict_reserve_bulk). */
static __always_inline struct o2c_event *violation_act(void *ctx, __u32 context, __u32 kind,
                                                       __u64 object, __u64 site, __s64 size,
                                                       __s32 label, __s32 leaf_id, __u32 flags,
                                                       bool bulk)
{
  __u32 allowed = (flags & O2C_EVENT_DOWNGRADED) ? O2C_ACTION_AUDIT : actions;
  __u32 taken = O2C_ACTION_AUDIT;
  struct o2c_event *e;

  o2c_count(O2C_STAT_VIOLATIONS);
  if (allowed & O2C_ACTION_KILL) {
    /* Delivered before the task returns to user space: the exploit never
     * takes its next step. The free or store itself still happens. */
    if (context == O2C_CONTEXT_PROCESS && bpf_send_signal(9 /* SIGKILL */) == 0) {
      o2c_count(O2C_STAT_KILLS);
      taken |= O2C_ACTION_KILL;
    } else {
      o2c_count(O2C_STAT_NOT_SIGNALLED);
      flags |= O2C_EVENT_NOT_SIGNALLED;
    }
  }
  if (allowed & O2C_ACTION_QUARANTINE) {
    __u32 zero = 0;
    __u32 *q = bpf_map_lookup_elem(&quarantine, &zero);

    if (q) {
      *q = 1;
      taken |= O2C_ACTION_QUARANTINE;
    }
  }
  e = bulk ? verdict_reserve_bulk(O2C_EVENT_VIOLATION, object, site)
           : verdict_reserve(O2C_EVENT_VIOLATION, object, site);
  if (!e)
    return NULL;
  e->detail = kind;
  e->size = size;
  e->label = label;
  e->leaf_id = leaf_id;
  e->actions = taken;
  e->context = context;
  e->flags = flags;
  e->stack_bytes = bpf_get_stack(ctx, e->stack, sizeof(e->stack), 0);
  return e;
}

/* A violation at a free site. */
static __always_inline void violation(void *ctx, __u32 kind, __u64 object, __u64 site,
                                      __s64 size, __s32 label, __s32 leaf_id, __u32 flags)
{
  struct o2c_event *e = violation_act(ctx, o2c_current_context(), kind, object, site, size,
                                      label, leaf_id, flags, false);

  if (e)
    verdict_submit(e);
}

static __always_inline __u64 object_size(struct kmem_cache *s)
{
  return s ? BPF_CORE_READ(s, object_size) : 0;
}

/* A compartment allocation that is not tracked: its free will look foreign. */
static __always_inline void not_tracked(__u32 reason, __u64 ptr, __u64 call_site, __u64 size)
{
  struct o2c_event *e;

  o2c_count(reason == O2C_UNTRACKED_UID_QUOTA ? O2C_STAT_UID_QUOTA : O2C_STAT_MAP_FULL);
  /* Read first: a store on every failure would bounce the line between CPUs. */
  if (!heap_incomplete)
    heap_incomplete = 1;
  e = verdict_reserve_bulk(O2C_EVENT_MAP_FULL, ptr, call_site);
  if (e) {
    e->detail = reason;
    e->size = size;
    verdict_submit(e);
  }
}

/* Charges one live object to `uid`; false when its quota is reached. */
static __always_inline bool charge_uid(__u32 uid)
{
  __u64 zero = 0, *live = bpf_map_lookup_elem(&uid_live, &uid);

  if (!live) {
    bpf_map_update_elem(&uid_live, &uid, &zero, BPF_NOEXIST);
    live = bpf_map_lookup_elem(&uid_live, &uid);
    if (!live)
      return false; /* too many uids: as if over quota */
  }
  if (__sync_fetch_and_add(live, 1) >= uid_quota) {
    __sync_fetch_and_add(live, -1);
    return false;
  }
  return true;
}

static __always_inline void uncharge_uid(__u32 uid)
{
  __u64 *live = bpf_map_lookup_elem(&uid_live, &uid);

  if (live)
    __sync_fetch_and_add(live, -1);
}

/* `size` is the allocation's size, or 0 when it is the cache's object size:
 * read only for the compartment's own allocations. */
static __always_inline void on_alloc(__u64 call_site, __u64 ptr, __u64 size,
                                     struct kmem_cache *cache)
{
  struct o2c_object info;
  struct o2c_event *e;
  enum o2c_track_result tracked;

  if (ptr <= O2C_ZERO_OR_NULL_MAX || !in_ranges(alloc_sites, nr_alloc_sites, call_site) ||
      out_of_scope())
    return;
  info.size = cache ? object_size(cache) : size;
  info.site = call_site;
  info.cache = (__u64)cache;
  /* Jiffies cost a load; bpf_ktime_get_ns() reads a clock source, which can
   * cost as much as the rest of this path, and tracing programs may not use
   * the coarse clock. */
  info.jiffies = bpf_jiffies64();
  info.uid = (__u32)bpf_get_current_uid_gid();
  info.reserved = 0;
  if (uid_quota && !charge_uid(info.uid)) {
    not_tracked(O2C_UNTRACKED_UID_QUOTA, ptr, call_site, size);
    return;
  }
  tracked = o2c_track(ptr, &info);
  if (tracked == O2C_TRACK_FULL) {
    if (uid_quota)
      uncharge_uid(info.uid);
    not_tracked(O2C_UNTRACKED_HEAP_FULL, ptr, call_site, size);
    return;
  }
  o2c_count(O2C_STAT_TRACKED);
  if (tracked == O2C_TRACKED_IN_OVERFLOW)
    o2c_count(O2C_STAT_OVERFLOWED);
  if (object_events) {
    e = object_reserve(O2C_EVENT_TRACKED, ptr, call_site);
    if (e) {
      e->size = size;
      o2c_event_submit(e, O2C_STAT_OBJECT_EVENTS);
    }
  }
}

/* A free of `ptr` from `call_site`: a tracked object leaves the private
 * heap, whichever task frees it (a file's last reference can be dropped by
 * another task, the census's reader among them); the scope only limits whose
 * untracked frees are judged. True when nothing more is to be done: it was
 * tracked, is no object (ZERO_OR_NULL_PTR) or the task is out of scope. */
static __always_inline bool release_tracked(__u64 call_site, __u64 ptr)
{
  struct o2c_object info;
  struct o2c_event *e;
  bool by_kernel;

  if (ptr <= O2C_ZERO_OR_NULL_MAX) {
    if (ptr)
      o2c_count(O2C_STAT_IGNORED_POINTERS);
    return true;
  }
  if (!o2c_untrack(ptr, &info))
    return out_of_scope();
  by_kernel = !in_ranges(code_ranges, nr_code, call_site);

  if (uid_quota)
    uncharge_uid(info.uid);
  o2c_count(by_kernel ? O2C_STAT_FREED_BY_KERNEL : O2C_STAT_FREED_OWN);
  if (object_events) {
    e = object_reserve(O2C_EVENT_FREED, ptr, call_site);
    if (e) {
      e->detail = by_kernel;
      e->size = info.size;
      o2c_event_submit(e, O2C_STAT_OBJECT_EVENTS);
    }
  }
  return true;
}

/* `cache` is the object's slab cache, or NULL for kfree (size unknown).
 * `scratch` and `prog_array` are `hook`'s. */
static __always_inline void on_free(void *ctx, void *prog_array, void *scratch, __u32 hook,
                                    __u64 call_site, __u64 ptr, struct kmem_cache *cache)
{
  struct o2c_extractor_config cfg = o2c_compartment_extractor();
  struct o2c_pending *p;
  struct o2c_audition *a;
  __u32 zero = 0, flags = 0;
  __s64 size;

  if (release_tracked(call_site, ptr))
    return;
  if (!in_ranges(free_sites, nr_free_sites, call_site))
    return;
  /* The compartment frees an object it never allocated while we watched. */
  o2c_count(O2C_STAT_UNTRACKED_FREES);
  size = cache ? (__s64)object_size(cache) : -1;
  if (heap_incomplete)
    flags |= O2C_EVENT_DOWNGRADED;
  if (phase == O2C_PHASE_FINAL) {
    if (final_confirmed && !flags) {
      violation(ctx, O2C_VIOLATION_UNTRACKED_FREE, ptr, call_site, size, -1, -1, 0);
      return;
    }
    if (!final_confirmed)
      flags |= O2C_EVENT_LATE_AUDITION;
  }
  if (model_foreign)
    flags |= O2C_EVENT_DOWNGRADED;
  a = bpf_map_lookup_elem(scratch, &zero);
  p = bpf_map_lookup_elem(&pending, &hook);
  if (!a || !p)
    return;
  o2c_extract_features(&cfg, &a->features, ptr);
  a->object = ptr;
  a->site = call_site;
  a->verdict.label = -1;
  a->verdict.leaf_id = -1;
  p->flags = flags;
  bpf_tail_call(ctx, prog_array, O2C_AUDITION_SLOT_TREE);
  /* Reached only when no tree is installed for this hook: nothing can
   * audition. Unless the final phase is confirmed and the heap complete
   * (handled above), the object may well be the compartment's own from
   * before the attach: report it, act on nothing (no kill on a guess). */
  flags = (flags & ~O2C_EVENT_LATE_AUDITION) | O2C_EVENT_DOWNGRADED;
  o2c_count(O2C_STAT_DOWNGRADED);
  violation(ctx, phase == O2C_PHASE_FINAL ? O2C_VIOLATION_UNTRACKED_FREE : O2C_VIOLATION_NO_MODEL,
            ptr, call_site, size, -1, -1, flags);
}

/* After the tree: act on its verdict. */
static __always_inline int on_verdict(void *ctx, void *scratch, __u32 hook)
{
  struct o2c_pending *p;
  struct o2c_audition *a;
  struct o2c_event *e;
  __u32 zero = 0, flags;

  a = bpf_map_lookup_elem(scratch, &zero);
  p = bpf_map_lookup_elem(&pending, &hook);
  if (!a || !p)
    return 0;
  flags = p->flags;
  if (a->verdict.label == O2C_LABEL_OWN) {
    o2c_count(O2C_STAT_AUDITION_OWN);
  } else {
    o2c_count(O2C_STAT_AUDITION_KERNEL);
  }
  if (flags & O2C_EVENT_LATE_AUDITION)
    o2c_count(O2C_STAT_LATE_AUDITIONS);
  if (flags & O2C_EVENT_DOWNGRADED)
    o2c_count(O2C_STAT_DOWNGRADED);
  e = verdict_reserve_bulk(O2C_EVENT_AUDITION, a->object, a->site);
  if (e) {
    e->size = a->features.value[O2C_F_SIZE];
    e->label = a->verdict.label;
    e->leaf_id = a->verdict.leaf_id;
    e->context = o2c_current_context();
    e->flags = flags;
    verdict_submit(e);
  }
  if (a->verdict.label != O2C_LABEL_OWN)
    violation(ctx, O2C_VIOLATION_AUDITION, a->object, a->site,
              a->features.value[O2C_F_SIZE], a->verdict.label, a->verdict.leaf_id, flags);
  return 0;
}

/* tp_btf entry points. */
SEC("tp_btf/kmalloc")
int BPF_PROG(btf_kmalloc, unsigned long call_site, const void *ptr, size_t bytes_req,
             size_t bytes_alloc)
{
  on_alloc(o2c_alloc_call_site(ctx, call_site), (__u64)ptr, bytes_alloc, NULL);
  return 0;
}

SEC("tp_btf/kmem_cache_alloc")
int BPF_PROG(btf_kmem_cache_alloc, unsigned long call_site, const void *ptr,
             struct kmem_cache *s)
{
  on_alloc(o2c_alloc_call_site(ctx, call_site), (__u64)ptr, 0, s);
  return 0;
}

SEC("tp_btf/kfree")
int BPF_PROG(btf_kfree, unsigned long call_site, const void *ptr)
{
  on_free(ctx, &audition_kfree, &scratch_kfree, O2C_HOOK_KFREE, call_site, (__u64)ptr, NULL);
  return 0;
}

SEC("tp_btf/kmem_cache_free")
int BPF_PROG(btf_kmem_cache_free, unsigned long call_site, const void *ptr,
             struct kmem_cache *s)
{
  on_free(ctx, &audition_cache_free, &scratch_cache_free, O2C_HOOK_CACHE_FREE, call_site,
          (__u64)ptr, s);
  return 0;
}

SEC("tp_btf/kfree")
int verdict_btf_kfree(void *ctx) { return on_verdict(ctx, &scratch_kfree, O2C_HOOK_KFREE); }

SEC("tp_btf/kmem_cache_free")
int verdict_btf_kmem_cache_free(void *ctx)
{
  return on_verdict(ctx, &scratch_cache_free, O2C_HOOK_CACHE_FREE);
}

/* raw_tp entry points: untyped u64 arguments. */
SEC("raw_tp/kmalloc")
int BPF_PROG(raw_kmalloc, __u64 call_site, __u64 ptr, __u64 bytes_req, __u64 bytes_alloc)
{
  on_alloc(o2c_alloc_call_site(ctx, call_site), ptr, bytes_alloc, NULL);
  return 0;
}

SEC("raw_tp/kmem_cache_alloc")
int BPF_PROG(raw_kmem_cache_alloc, __u64 call_site, __u64 ptr, __u64 s)
{
  on_alloc(o2c_alloc_call_site(ctx, call_site), ptr, 0, (struct kmem_cache *)s);
  return 0;
}

SEC("raw_tp/kfree")
int BPF_PROG(raw_kfree, __u64 call_site, __u64 ptr)
{
  on_free(ctx, &audition_kfree, &scratch_kfree, O2C_HOOK_KFREE, call_site, ptr, NULL);
  return 0;
}

SEC("raw_tp/kmem_cache_free")
int BPF_PROG(raw_kmem_cache_free, __u64 call_site, __u64 ptr, __u64 s)
{
  on_free(ctx, &audition_cache_free, &scratch_cache_free, O2C_HOOK_CACHE_FREE, call_site, ptr,
          (struct kmem_cache *)s);
  return 0;
}

SEC("raw_tp/kfree")
int verdict_raw_kfree(void *ctx) { return on_verdict(ctx, &scratch_kfree, O2C_HOOK_KFREE); }

SEC("raw_tp/kmem_cache_free")
int verdict_raw_kmem_cache_free(void *ctx)
{
  return on_verdict(ctx, &scratch_cache_free, O2C_HOOK_CACHE_FREE);
}


/* Site-probe mode, where kprobes at function+offset work (the loader
 * enables these instead of the entry points above): a kprobe at each of the
 * compartment's own allocation and free sites, whose attach cookie is the
 * site's return address, the call_site a tracepoint would report. Nothing
 * outside the compartment runs them. The free tracepoints stay, as the
 * *_elsewhere programs: they only release tracked objects that the rest of
 * the kernel frees. */

/* At the instruction after `call <allocator>`: the object is in rax. */
SEC("kprobe")
int site_alloc(struct pt_regs *ctx)
{
  on_alloc(bpf_get_attach_cookie(ctx), PT_REGS_RC(ctx), 0, NULL);
  return 0;
}

/* At `call`/`jmp` kfree (or kvfree, kfree_sensitive): the object is in rdi. */
SEC("kprobe")
int site_kfree(struct pt_regs *ctx)
{
  on_free(ctx, &audition_kfree, &scratch_kfree, O2C_HOOK_KFREE, bpf_get_attach_cookie(ctx),
          PT_REGS_PARM1(ctx), NULL);
  return 0;
}

/* At `call`/`jmp` kmem_cache_free: the cache in rdi, the object in rsi. */
SEC("kprobe")
int site_kmem_cache_free(struct pt_regs *ctx)
{
  on_free(ctx, &audition_cache_free, &scratch_cache_free, O2C_HOOK_CACHE_FREE,
          bpf_get_attach_cookie(ctx), PT_REGS_PARM2(ctx), (struct kmem_cache *)PT_REGS_PARM1(ctx));
  return 0;
}

SEC("kprobe")
int verdict_site_kfree(struct pt_regs *ctx)
{
  return on_verdict(ctx, &scratch_kfree, O2C_HOOK_KFREE);
}

SEC("kprobe")
int verdict_site_kmem_cache_free(struct pt_regs *ctx)
{
  return on_verdict(ctx, &scratch_cache_free, O2C_HOOK_CACHE_FREE);
}

SEC("tp_btf/kfree")
int BPF_PROG(btf_kfree_elsewhere, unsigned long call_site, const void *ptr)
{
  release_tracked(call_site, (__u64)ptr);
  return 0;
}

SEC("tp_btf/kmem_cache_free")
int BPF_PROG(btf_kmem_cache_free_elsewhere, unsigned long call_site, const void *ptr,
             struct kmem_cache *s)
{
  release_tracked(call_site, (__u64)ptr);
  return 0;
}

SEC("raw_tp/kfree")
int BPF_PROG(raw_kfree_elsewhere, __u64 call_site, __u64 ptr)
{
  release_tracked(call_site, ptr);
  return 0;
}

SEC("raw_tp/kmem_cache_free")
int BPF_PROG(raw_kmem_cache_free_elsewhere, __u64 call_site, __u64 ptr, __u64 s)
{
  release_tracked(call_site, ptr);
  return 0;
}


/* Access checks, where kprobes at function+offset work: a kprobe at each of
 * the compartment's stores that static analysis could not clear (the
 * loader's store_sites, indexed by the probe's cookie). Before the store
 * runs, the registers give the bytes it writes; they are the compartment's
 * when they are user memory, the running task's stack, the compartment's
 * own data, or within one object of the private heap. Anything else is
 * kernel heap or kernel data, a violation where the access matrix denies the
 * write (store_forbidden). As at free sites, an untracked target may be the
 * compartment's own object from before the attach: the violation acts only
 * once the final phase is confirmed and the heap complete. The store itself
 * always happens. */
const volatile __u32 store_forbidden = 0; /* 1 << enum o2c_store_target */
const volatile __u64 thread_size = 16384; /* the kernel's THREAD_SIZE */
const volatile __u32 nr_own_data = 0;
const volatile struct o2c_code_range own_data[O2C_MAX_RANGES] = {};
const volatile struct o2c_slab_layout store_slab_layout = {};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1); /* set by the loader */
  __type(key, __u32);
  __type(value, struct o2c_store_site);
} store_sites SEC(".maps");

/* Above the highest user address of x86-64 (5-level paging included). */
#define O2C_USER_END 0x0100000000000000ULL

/* A general register by x86 encoding number, as the kprobe saved it. Read
 * through a helper: the verifier refuses a load from the context at a
 * computed offset. */
static __always_inline __u64 o2c_register(struct pt_regs *regs, __s8 reg)
{
  __u64 offset, value = 0;

  switch (reg) {
  case 0: offset = offsetof(struct pt_regs, ax); break;
  case 1: offset = offsetof(struct pt_regs, cx); break;
  case 2: offset = offsetof(struct pt_regs, dx); break;
  case 3: offset = offsetof(struct pt_regs, bx); break;
  case 4: offset = offsetof(struct pt_regs, sp); break;
  case 5: offset = offsetof(struct pt_regs, bp); break;
  case 6: offset = offsetof(struct pt_regs, si); break;
  case 7: offset = offsetof(struct pt_regs, di); break;
  case 8: offset = offsetof(struct pt_regs, r8); break;
  case 9: offset = offsetof(struct pt_regs, r9); break;
  case 10: offset = offsetof(struct pt_regs, r10); break;
  case 11: offset = offsetof(struct pt_regs, r11); break;
  case 12: offset = offsetof(struct pt_regs, r12); break;
  case 13: offset = offsetof(struct pt_regs, r13); break;
  case 14: offset = offsetof(struct pt_regs, r14); break;
  case 15: offset = offsetof(struct pt_regs, r15); break;
  default: return 0;
  }
  bpf_probe_read_kernel(&value, sizeof(value), (char *)regs + offset);
  return value;
}

/* What [address, address + bytes) is not allowed to be: 0 when it is the
 * compartment's to write; else the target (enum o2c_store_target), with
 * `*first` the first byte outside the compartment's assets and `*obj` the
 * slab object holding it (its cache NULL for kernel data). */
static __always_inline __u32 store_target(__u64 address, __u64 bytes, __u64 *first,
                                          struct o2c_slab_object *obj)
{
  struct o2c_slab_layout layout = {
      .vmemmap_base = store_slab_layout.vmemmap_base,
      .page_offset_base = store_slab_layout.page_offset_base,
      .max_pfn = store_slab_layout.max_pfn,
  };
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  __u64 stack = (__u64)BPF_CORE_READ(task, stack);
  __u64 last = address + bytes - 1;
  int data;

  if (last < address)
    last = ~0ULL; /* a length that wraps: up to the end of memory */
  *first = address;
  if (last < O2C_USER_END)
    return 0; /* user memory: the policy's assets are kernel memory */
  if (address >= stack && last < stack + thread_size)
    return 0;
  data = o2c_find_range(own_data, nr_own_data, O2C_MAX_RANGES, address);
  if (data >= 0 && data == o2c_find_range(own_data, nr_own_data, O2C_MAX_RANGES, last))
    return 0;
  *obj = o2c_walk_to_object(&layout, address);
  if (!obj->cache)
    return O2C_TARGET_KERNEL_DATA;
  if (address < obj->start || !o2c_is_tracked(obj->start))
    return O2C_TARGET_KERNEL_HEAP;
  if (last < obj->start + obj->size)
    return 0;
  /* Past the end of a tracked object: into its neighbour. */
  *first = obj->start + obj->size;
  *obj = o2c_walk_to_object(&layout, *first);
  if (obj->cache && o2c_is_tracked(obj->start))
    return 0; /* the compartment's next object: allowed, as a write to it would be */
  return obj->cache ? O2C_TARGET_KERNEL_HEAP : O2C_TARGET_KERNEL_DATA;
}

SEC("kprobe")
int store_check(struct pt_regs *ctx)
{
  __u32 index = (__u32)bpf_get_attach_cookie(ctx);
  struct o2c_store_site *site = bpf_map_lookup_elem(&store_sites, &index);
  struct o2c_slab_object obj = {};
  struct kmem_cache *cache;
  struct o2c_event *e;
  __u64 address, bytes, first;
  __u32 target, flags = 0;

  if (!site || out_of_scope())
    return 0;
  o2c_count(O2C_STAT_STORE_CHECKS);
  address = o2c_register(ctx, site->base) + (__u64)site->displacement;
  if (site->index != O2C_NO_REGISTER)
    address += o2c_register(ctx, site->index) * site->scale;
  bytes = site->width;
  if (site->length_register != O2C_NO_REGISTER)
    bytes *= o2c_register(ctx, site->length_register);
  if (bytes == 0)
    return 0;
  target = store_target(address, bytes, &first, &obj);
  if (!target || !(store_forbidden & (1U << target)))
    return 0;
  o2c_count(O2C_STAT_STORE_VIOLATIONS);
  if (heap_incomplete || phase != O2C_PHASE_FINAL || !final_confirmed) {
    flags |= O2C_EVENT_DOWNGRADED;
    o2c_count(O2C_STAT_DOWNGRADED);
  }
  if (phase == O2C_PHASE_FINAL && !final_confirmed)
    flags |= O2C_EVENT_LATE_AUDITION;
  e = violation_act(ctx, o2c_context_of_program(true), O2C_VIOLATION_STORE,
                    obj.cache ? obj.start : first, site->insn,
                    obj.cache ? (__s64)obj.size : -1, -1, -1, flags,
                    (flags & O2C_EVENT_DOWNGRADED) != 0);
  if (!e)
    return 0;
  e->target_address = first;
  e->target_bytes = bytes;
  e->target = target;
  /* A local first: CO-RE relocates every member access in BPF_CORE_READ's
   * argument, and o2c_slab_object is ours, not the kernel's. */
  cache = obj.cache;
  if (cache)
    bpf_probe_read_kernel_str(e->target_cache, sizeof(e->target_cache),
                              BPF_CORE_READ(cache, name));
  verdict_submit(e);
  return 0;
}
