// SPDX-License-Identifier: GPL-2.0
/* Counts o2c_current_context() (lib/context.bpf.h, the enforcer's test of
 * "may this task be killed?") on hooks whose context is known, so a test
 * can check the classification on the running kernel. On sched_switch it
 * also counts disagreements with the switched-out task's PF_KTHREAD. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "o2c/bpf/lib/context.bpf.h"
#include "o2c/testonly/context_probe.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 target_tgid = 0; /* sys_enter: only this process */

__u64 seen[O2C_PROBE_HOOKS * O2C_PROBE_CONTEXTS] = {};
__u64 kthread_mismatches = 0;

static __always_inline __u32 count_context(__u32 hook)
{
  __u32 context = o2c_current_context();
  __u32 index = hook * O2C_PROBE_CONTEXTS + context;

  if (context < O2C_PROBE_CONTEXTS && index < O2C_PROBE_HOOKS * O2C_PROBE_CONTEXTS)
    __sync_fetch_and_add(&seen[index], 1);
  return context;
}

SEC("raw_tp/softirq_entry")
int BPF_PROG(softirq_entry) { count_context(O2C_PROBE_SOFTIRQ_ENTRY); return 0; }

SEC("raw_tp/local_timer_entry")
int BPF_PROG(timer_entry) { count_context(O2C_PROBE_TIMER_ENTRY); return 0; }

SEC("raw_tp/sys_enter")
int BPF_PROG(sys_enter)
{
  if ((bpf_get_current_pid_tgid() >> 32) == target_tgid)
    count_context(O2C_PROBE_SYS_ENTER);
  return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(sched_switch, bool preempt, struct task_struct *prev)
{
  __u32 context = count_context(O2C_PROBE_SCHED_SWITCH);
  bool kthread = BPF_CORE_READ(prev, flags) & O2C_PF_KTHREAD;

  if (context != (kthread ? O2C_CONTEXT_KTHREAD : O2C_CONTEXT_PROCESS))
    __sync_fetch_and_add(&kthread_mismatches, 1);
  return 0;
}
