// SPDX-License-Identifier: GPL-2.0
/* Counts slab allocations and frees whose call_site lies in given code
 * ranges, optionally only for one process. Each kmem tracepoint has two entry
 * points, tp_btf (typed, cheaper) and raw_tp (works where tp_btf cannot read
 * the object pointer, e.g. 6.1); the loader enables one of each pair. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "o2c/bpf/kmem_sites.h"
#include "o2c/bpf/lib/ranges.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader before load; read-only afterwards. */
const volatile __u32 target_tgid = 0; /* 0: every process */
const volatile __u32 nr_ranges = 0;
const volatile struct o2c_code_range ranges[O2C_MAX_SITE_RANGES] = {};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, O2C_MAX_SITE_RANGES);
  __type(key, __u32);
  __type(value, struct o2c_site_counts);
} counts SEC(".maps");

static __always_inline struct o2c_site_counts *counts_for(__u64 call_site)
{
  if (target_tgid && (bpf_get_current_pid_tgid() >> 32) != target_tgid)
    return NULL;
  int idx = o2c_find_range(ranges, nr_ranges, O2C_MAX_SITE_RANGES, call_site);
  if (idx < 0)
    return NULL;
  __u32 key = idx;
  return bpf_map_lookup_elem(&counts, &key);
}

static __always_inline void on_alloc(__u64 call_site, __u64 ptr, __u64 bytes)
{
  struct o2c_site_counts *c = counts_for(call_site);

  if (!c)
    return;
  if (!ptr) {
    c->null_frees++;
    return;
  }
  c->allocs++;
  c->alloc_bytes += bytes;
}

static __always_inline void on_free(__u64 call_site, __u64 ptr)
{
  struct o2c_site_counts *c = counts_for(call_site);

  if (!c)
    return;
  if (ptr)
    c->frees++;
  else
    c->null_frees++;
}

static __always_inline __u64 cache_object_size(struct kmem_cache *s)
{
  return s ? BPF_CORE_READ(s, object_size) : 0;
}

/* tp_btf: ctx is the tracepoint's argument array. */
SEC("tp_btf/kmalloc")
int BPF_PROG(btf_kmalloc, unsigned long call_site, const void *ptr, size_t bytes_req,
             size_t bytes_alloc)
{
  on_alloc(call_site, (__u64)ptr, bytes_alloc);
  return 0;
}

SEC("tp_btf/kmem_cache_alloc")
int BPF_PROG(btf_kmem_cache_alloc, unsigned long call_site, const void *ptr,
             struct kmem_cache *s)
{
  on_alloc(call_site, (__u64)ptr, cache_object_size(s));
  return 0;
}

SEC("tp_btf/kfree")
int BPF_PROG(btf_kfree, unsigned long call_site, const void *ptr)
{
  on_free(call_site, (__u64)ptr);
  return 0;
}

SEC("tp_btf/kmem_cache_free")
int BPF_PROG(btf_kmem_cache_free, unsigned long call_site, const void *ptr)
{
  on_free(call_site, (__u64)ptr);
  return 0;
}

/* raw_tp: untyped u64 arguments. */
SEC("raw_tp/kmalloc")
int BPF_PROG(raw_kmalloc, __u64 call_site, __u64 ptr, __u64 bytes_req, __u64 bytes_alloc)
{
  on_alloc(call_site, ptr, bytes_alloc);
  return 0;
}

SEC("raw_tp/kmem_cache_alloc")
int BPF_PROG(raw_kmem_cache_alloc, __u64 call_site, __u64 ptr, __u64 s)
{
  on_alloc(call_site, ptr, cache_object_size((struct kmem_cache *)s));
  return 0;
}

SEC("raw_tp/kfree")
int BPF_PROG(raw_kfree, __u64 call_site, __u64 ptr)
{
  on_free(call_site, ptr);
  return 0;
}

SEC("raw_tp/kmem_cache_free")
int BPF_PROG(raw_kmem_cache_free, __u64 call_site, __u64 ptr)
{
  on_free(call_site, ptr);
  return 0;
}
