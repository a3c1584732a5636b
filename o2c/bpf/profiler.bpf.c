// SPDX-License-Identifier: GPL-2.0
/* The preparation phase's kernel side: labelled samples for the audition
 * model, on the four kmem tracepoints (tp_btf, or raw_tp; the loader enables
 * one flavour, as for the enforcer).
 *
 * - allocation at a compartment allocation site: track the object (the
 *   enforcer's heap tracker);
 * - free of a tracked object at a compartment free site: a positive sample
 *   (label OWN), features extracted by the enforcer's extractor;
 * - free of an untracked object by code outside the compartment: a negative
 *   sample (label KERNEL), 1 in `negative_rate`;
 * - anything else is only counted. Samples reach user space through the
 *   `events` ring buffer; a full buffer is counted, never silent. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "o2c/bpf/codegen/audition.h"
#include "o2c/bpf/enforcer.h"
#include "o2c/bpf/kmem_sites.h"
#include "o2c/bpf/lib/compartment.bpf.h"
#include "o2c/bpf/profiler.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader before load (the compartment's: lib/compartment.bpf.h). */
const volatile __u32 negative_rate = 64; /* keep 1 in N outside frees; 0: none */
const volatile __u32 raw_words = 0;      /* emit struct o2c_raw_sample records */

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, O2C_PSTAT_COUNT);
  __type(key, __u32);
  __type(value, __u64);
} stats SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 1 << 22); /* set by the loader */
} events SEC(".maps");

/* The extractor's output (too big for the stack). */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct o2c_features);
} scratch SEC(".maps");

#include "o2c/bpf/lib/heap_tracker.bpf.h"
#include "o2c/bpf/lib/stats.bpf.h"

static __always_inline void on_alloc(__u64 call_site, __u64 ptr, __u64 size, __u64 cache)
{
  struct o2c_object info;

  if (!ptr || !in_ranges(alloc_sites, nr_alloc_sites, call_site))
    return;
  info.size = size;
  info.site = call_site;
  info.cache = cache;
  info.jiffies = bpf_jiffies64(); /* as the enforcer */
  switch (o2c_track(ptr, &info)) {
  case O2C_TRACK_FULL:
    o2c_count(O2C_PSTAT_MAP_FULL);
    return;
  case O2C_TRACKED_IN_OVERFLOW:
    o2c_count(O2C_PSTAT_OVERFLOWED);
    break;
  case O2C_TRACKED_IN_BUCKET:
    break;
  }
  o2c_count(O2C_PSTAT_TRACKED);
}

/* Never written: the source that clears a record's raw words. */
static __u64 zero_words[O2C_PROFILE_RAW_WORDS];

/* The object's own bytes (its slab cache's object size; 8 KiB when it is in
 * no slab, where objects start at that size), the rest 0. */
static __always_inline void copy_raw_words(struct o2c_raw_sample *r, __u64 ptr, __s64 size)
{
  __u64 bytes = sizeof(r->raw);

  if (size > 0 && size < sizeof(r->raw))
    bytes = size;
  bpf_probe_read_kernel(r->raw, sizeof(r->raw), zero_words);
  if (bpf_probe_read_kernel(r->raw, bytes, (const void *)ptr) == 0)
    r->sample.has_raw = 1;
  else
    o2c_count(O2C_PSTAT_RAW_READ_FAILED);
}

/* Extracts the features of `ptr` and emits one sample of `label`. */
static __always_inline void emit_sample(__s32 label, __u32 hook, __u64 call_site, __u64 ptr,
                                        __u64 alloc_site)
{
  struct o2c_extractor_config cfg = o2c_compartment_extractor();
  struct o2c_features *f;
  struct o2c_sample *s;
  __u32 zero = 0;

  f = bpf_map_lookup_elem(&scratch, &zero);
  if (!f)
    return;
  if (raw_words)
    s = bpf_ringbuf_reserve(&events, sizeof(struct o2c_raw_sample), 0);
  else
    s = bpf_ringbuf_reserve(&events, sizeof(struct o2c_sample), 0);
  if (!s) {
    o2c_count(O2C_PSTAT_SAMPLES_LOST);
    return;
  }
  o2c_extract_features(&cfg, f, ptr);
  s->label = label;
  s->hook = hook;
  s->object = ptr;
  s->site = call_site;
  s->alloc_site = alloc_site;
  for (int i = 0; i < O2C_F_COUNT; i++)
    s->features[i] = f->value[i];
  s->has_raw = 0;
  s->pad = 0;
  if (raw_words)
    copy_raw_words((struct o2c_raw_sample *)s, ptr, f->value[O2C_F_SIZE]);
  bpf_ringbuf_submit(s, 0);
  o2c_count(label == O2C_LABEL_OWN ? O2C_PSTAT_POSITIVES : O2C_PSTAT_NEGATIVES);
}

static __always_inline void on_free(__u32 hook, __u64 call_site, __u64 ptr)
{
  struct o2c_object info;

  if (!ptr)
    return;
  /* Features before untracking would be the same: the extractor never asks
   * whether a word is tracked (features.h says why). */
  if (o2c_untrack(ptr, &info)) {
    if (in_ranges(free_sites, nr_free_sites, call_site))
      emit_sample(O2C_LABEL_OWN, hook, call_site, ptr, info.site);
    else
      o2c_count(O2C_PSTAT_TRACKED_FREED_ELSEWHERE);
    return;
  }
  if (in_ranges(code_ranges, nr_code, call_site)) {
    o2c_count(O2C_PSTAT_UNTRACKED_AT_SITE);
    return;
  }
  if (!negative_rate || bpf_get_prandom_u32() % negative_rate) {
    o2c_count(O2C_PSTAT_NEGATIVES_SKIPPED);
    return;
  }
  emit_sample(O2C_LABEL_KERNEL, hook, call_site, ptr, 0);
}

static __always_inline __u64 object_size(struct kmem_cache *s)
{
  return s ? BPF_CORE_READ(s, object_size) : 0;
}

/* tp_btf entry points. */
SEC("tp_btf/kmalloc")
int BPF_PROG(btf_kmalloc, unsigned long call_site, const void *ptr, size_t bytes_req,
             size_t bytes_alloc)
{
  on_alloc(o2c_alloc_call_site(ctx, call_site), (__u64)ptr, bytes_alloc, 0);
  return 0;
}

SEC("tp_btf/kmem_cache_alloc")
int BPF_PROG(btf_kmem_cache_alloc, unsigned long call_site, const void *ptr,
             struct kmem_cache *s)
{
  on_alloc(o2c_alloc_call_site(ctx, call_site), (__u64)ptr, object_size(s), (__u64)s);
  return 0;
}

SEC("tp_btf/kfree")
int BPF_PROG(btf_kfree, unsigned long call_site, const void *ptr)
{
  on_free(0, call_site, (__u64)ptr);
  return 0;
}

SEC("tp_btf/kmem_cache_free")
int BPF_PROG(btf_kmem_cache_free, unsigned long call_site, const void *ptr,
             struct kmem_cache *s)
{
  on_free(1, call_site, (__u64)ptr);
  return 0;
}

/* raw_tp entry points: untyped u64 arguments. */
SEC("raw_tp/kmalloc")
int BPF_PROG(raw_kmalloc, __u64 call_site, __u64 ptr, __u64 bytes_req, __u64 bytes_alloc)
{
  on_alloc(o2c_alloc_call_site(ctx, call_site), ptr, bytes_alloc, 0);
  return 0;
}

SEC("raw_tp/kmem_cache_alloc")
int BPF_PROG(raw_kmem_cache_alloc, __u64 call_site, __u64 ptr, __u64 s)
{
  on_alloc(o2c_alloc_call_site(ctx, call_site), ptr, object_size((struct kmem_cache *)s), s);
  return 0;
}

SEC("raw_tp/kfree")
int BPF_PROG(raw_kfree, __u64 call_site, __u64 ptr)
{
  on_free(0, call_site, ptr);
  return 0;
}

SEC("raw_tp/kmem_cache_free")
int BPF_PROG(raw_kmem_cache_free, __u64 call_site, __u64 ptr, __u64 s)
{
  on_free(1, call_site, ptr);
  return 0;
}
