/* In which context a tracing program runs: bpf_send_signal acts on
 * `current`, the task a free belongs to only in process context of a user
 * task. In an interrupt `current` is whatever task was interrupted; a kernel
 * thread has no user space to stop.
 *
 * The interrupt state is in this CPU's preempt_count, a per-CPU variable.
 * The verifier resolves a typed ksym (__preempt_count) through kallsyms,
 * which lists per-CPU data only with CONFIG_KALLSYMS_ALL, so the program
 * reaches it from this CPU's runqueue instead: current's scheduling entity
 * points to its CPU's `struct rq`, and the loader sets the distance between
 * the two variables from vmlinux BTF (loader/preempt_count.h). PREEMPT_RT,
 * which keeps the softirq count in the task, is not handled. Kernel side
 * only. */
#ifndef O2C_BPF_LIB_CONTEXT_BPF_H_
#define O2C_BPF_LIB_CONTEXT_BPF_H_

#include <bpf/bpf_core_read.h>

#include "o2c/bpf/enforcer.h"

#define O2C_PF_KTHREAD 0x00200000     /* include/linux/sched.h */
#define O2C_SOFTIRQ_OFFSET 0x00000100 /* include/linux/preempt.h: serving a softirq */
#define O2C_HARDIRQ_MASK 0x000f0000
#define O2C_NMI_MASK 0x00f00000
/* x86 keeps PREEMPT_NEED_RESCHED inverted in the top bit. */
#define O2C_PREEMPT_NEED_RESCHED 0x80000000

/* Bytes from a CPU's `runqueues` to its preempt_count; 0: unknown. */
const volatile __s64 o2c_preempt_count_from_rq = 0;
/* Set for kprobe programs: a kprobe that is an int3 runs its handler from
 * the breakpoint exception, which x86 enters like an NMI (one NMI and one
 * hardirq level more than the code it stopped). Allocation and free sites
 * never run in a real NMI, so an NMI level there is the breakpoint's and is
 * taken off; an optimized (jump) kprobe adds none. */
const volatile __u32 o2c_context_from_kprobe = 0;
#define O2C_NMI_OFFSET 0x00100000
#define O2C_HARDIRQ_OFFSET 0x00010000

/* This CPU's preempt_count without the resched bit, or -1 when it cannot
 * be read. */
static __always_inline __s64 o2c_preempt_count(struct task_struct *task)
{
  struct rq *rq;
  __u32 count;

  if (!o2c_preempt_count_from_rq || !bpf_core_field_exists(task->se.cfs_rq))
    return -1;
  /* The running task's entity is on this CPU's runqueue. */
  rq = BPF_CORE_READ(task, se.cfs_rq, rq);
  if (!rq || bpf_probe_read_kernel(&count, sizeof(count),
                                   (void *)rq + o2c_preempt_count_from_rq))
    return -1;
  return count & ~O2C_PREEMPT_NEED_RESCHED;
}

/* The context of the running program (enum o2c_context), run from a kprobe
 * or not. A disabled bottom half is still process context: `current` did
 * the free. */
static __always_inline __u32 o2c_context_of_program(bool kprobe)
{
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  __s64 count = o2c_preempt_count(task);

  if (count < 0)
    return O2C_CONTEXT_UNKNOWN;
  if (kprobe && (count & O2C_NMI_MASK))
    count -= O2C_NMI_OFFSET + O2C_HARDIRQ_OFFSET;
  if (count & O2C_NMI_MASK)
    return O2C_CONTEXT_NMI;
  if (count & O2C_HARDIRQ_MASK)
    return O2C_CONTEXT_HARDIRQ;
  if (count & O2C_SOFTIRQ_OFFSET)
    return O2C_CONTEXT_SOFTIRQ;
  if (BPF_CORE_READ(task, flags) & O2C_PF_KTHREAD)
    return O2C_CONTEXT_KTHREAD;
  return O2C_CONTEXT_PROCESS;
}

/* The context of the running program, a kprobe's as o2c_context_from_kprobe says. */
static __always_inline __u32 o2c_current_context(void)
{
  return o2c_context_of_program(o2c_context_from_kprobe);
}

#endif /* O2C_BPF_LIB_CONTEXT_BPF_H_ */
