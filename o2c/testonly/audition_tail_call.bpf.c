// SPDX-License-Identifier: GPL-2.0
/* The tail-call form of the audition, end to end, for its kernel test: a
 * tracking program on tp_btf/kfree fills the per-CPU scratch with features
 * of the object being freed and tail-calls the generated tree (prog array
 * slot O2C_AUDITION_SLOT_TREE); the tree writes the verdict and tail-calls
 * the continuation (slot O2C_AUDITION_SLOT_VERDICT), which logs features and
 * verdict for the test to compare with the host. */
#include "vmlinux.h"

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "o2c/testonly/audition_tail_call.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 target_tgid = 0;

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct o2c_audition);
} scratch SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
  __uint(max_entries, O2C_AUDITION_SLOTS);
  __type(key, __u32);
  __type(value, __u32);
} progs SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, O2C_TAIL_TEST_RECORDS);
  __type(key, __u32);
  __type(value, struct o2c_tail_call_record);
} records SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} record_count SEC(".maps");

SEC("tp_btf/kfree")
int BPF_PROG(o2c_audit_kfree, unsigned long call_site, const void *ptr)
{
  __u32 zero = 0;
  __u64 p = (__u64)ptr;

  if ((bpf_get_current_pid_tgid() >> 32) != target_tgid || !p)
    return 0;
  struct o2c_audition *a = bpf_map_lookup_elem(&scratch, &zero);
  if (!a)
    return 0;
  a->features.value[0] = call_site;
  a->features.value[1] = p;
  a->features.value[2] = p & 0xfff;
  a->features.value[3] = (p >> 12) & 0xff;
  a->features.value[4] = bpf_get_smp_processor_id();
  a->features.value[5] = -(__s64)(p & 0xffff);
  a->features.value[6] = bpf_ktime_get_ns() & 0xffff;
  a->features.value[7] = (__s64)call_site - (__s64)p;
  a->features.count = O2C_TAIL_TEST_FEATURES;
  a->verdict.label = -1;
  a->verdict.leaf_id = -1;
  a->object = p;
  a->site = call_site;
  bpf_tail_call(ctx, &progs, O2C_AUDITION_SLOT_TREE);
  return 0;
}

SEC("tp_btf/kfree")
int BPF_PROG(o2c_audit_verdict, unsigned long call_site, const void *ptr)
{
  __u32 zero = 0;
  struct o2c_audition *a = bpf_map_lookup_elem(&scratch, &zero);
  __u64 *count = bpf_map_lookup_elem(&record_count, &zero);

  if (!a || !count)
    return 0;
  __u32 i = __sync_fetch_and_add(count, 1);
  struct o2c_tail_call_record *r = bpf_map_lookup_elem(&records, &i);
  if (!r)
    return 0;
  for (int f = 0; f < O2C_TAIL_TEST_FEATURES; f++)
    r->features[f] = a->features.value[f];
  r->verdict = a->verdict;
  r->object = a->object;
  return 0;
}
