/* The context probe's counters (context_probe.bpf.c), shared with its test:
 * o2c_current_context() (lib/context.bpf.h) as seen from hooks whose context
 * is known. */
#ifndef O2C_TESTONLY_CONTEXT_PROBE_H_
#define O2C_TESTONLY_CONTEXT_PROBE_H_

/* Hooks; each has O2C_PROBE_CONTEXTS counters, one per enum o2c_context. */
enum o2c_probe_hook {
  O2C_PROBE_SOFTIRQ_ENTRY = 0, /* serving a softirq */
  O2C_PROBE_TIMER_ENTRY = 1,   /* the local APIC timer interrupt: hardirq */
  O2C_PROBE_SYS_ENTER = 2,     /* the test's own syscalls: process */
  O2C_PROBE_SCHED_SWITCH = 3,  /* the task switched out: process or kthread */
  O2C_PROBE_HOOKS = 4,
};
#define O2C_PROBE_CONTEXTS 8

#endif /* O2C_TESTONLY_CONTEXT_PROBE_H_ */
