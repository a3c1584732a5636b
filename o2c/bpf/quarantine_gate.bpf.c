// SPDX-License-Identifier: GPL-2.0
/* The quarantine gate: while the shared `quarantine` map holds a non-zero
 * value, BPF LSM refuses (-EPERM) every way into a file whose
 * file_operations lead into the compartment's code (for pipes, read_iter ==
 * pipe_read and friends) that passes an LSM hook: read and write in all
 * their forms (file_permission), open and /proc/<pid>/fd reopen (file_open),
 * ioctl (file_ioctl, file_ioctl_compat), fcntl (file_fcntl), mmap
 * (mmap_file) and taking the file from another process (file_receive). The
 * ways with no hook are listed by QuarantineGate::Uncovered(). The enforcer
 * detects; this denies. Files outside the compartment are never touched, and
 * while the gate is open each hook costs one array lookup. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "o2c/bpf/enforcer.h"
#include "o2c/bpf/kmem_sites.h"
#include "o2c/bpf/lib/compartment_file.bpf.h"
#include "o2c/bpf/lib/quarantine_map.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define EPERM 1

/* Set by the loader before load: the compartment's code, sorted, disjoint. */
const volatile __u32 nr_code = 0;
const volatile struct o2c_code_range code_ranges[O2C_MAX_RANGES] = {};

/* Accesses refused, per CPU (no atomics on the deny path). */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} denials SEC(".maps");

static __always_inline bool gate_closed(void)
{
  __u32 key = 0;
  __u32 *state = bpf_map_lookup_elem(&quarantine, &key);

  return state && *state;
}

/* `ret`: what earlier LSMs decided; a refusal of theirs stands. */
static __always_inline int gate(struct file *file, int ret)
{
  __u32 key = 0;
  __u64 *n;

  if (ret)
    return ret;
  if (!gate_closed() || !o2c_compartment_file(code_ranges, nr_code, O2C_MAX_RANGES, file))
    return 0;
  n = bpf_map_lookup_elem(&denials, &key);
  if (n)
    (*n)++;
  return -EPERM;
}

SEC("lsm/file_permission")
int BPF_PROG(gate_file_permission, struct file *file, int mask, int ret)
{
  return gate(file, ret);
}

SEC("lsm/file_open")
int BPF_PROG(gate_file_open, struct file *file, int ret)
{
  return gate(file, ret);
}

SEC("lsm/file_ioctl")
int BPF_PROG(gate_file_ioctl, struct file *file, unsigned int cmd, unsigned long arg, int ret)
{
  return gate(file, ret);
}

/* A 32-bit process's ioctl goes here instead of file_ioctl on kernels that
 * have this hook; the loader leaves it out on the others, where compat
 * ioctls reach file_ioctl. */
SEC("lsm/file_ioctl_compat")
int BPF_PROG(gate_file_ioctl_compat, struct file *file, unsigned int cmd, unsigned long arg,
             int ret)
{
  return gate(file, ret);
}

/* Every command, F_GETFD included: a quarantined file is refused whole. */
SEC("lsm/file_fcntl")
int BPF_PROG(gate_file_fcntl, struct file *file, unsigned int cmd, unsigned long arg, int ret)
{
  return gate(file, ret);
}

/* New mappings only: pages of a mapping made before the quarantine still
 * fault into the file's vm_operations. */
SEC("lsm/mmap_file")
int BPF_PROG(gate_mmap_file, struct file *file, unsigned long reqprot, unsigned long prot,
             unsigned long flags, int ret)
{
  return gate(file, ret);
}

/* SCM_RIGHTS and pidfd_getfd: another process's descriptor of the file. */
SEC("lsm/file_receive")
int BPF_PROG(gate_file_receive, struct file *file, int ret)
{
  return gate(file, ret);
}
