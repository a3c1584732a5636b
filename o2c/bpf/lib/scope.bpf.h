/* Enforcement scoped to one process, or to a process and everything it
 * started (kernel side only). Set by the loader before load. */
#ifndef O2C_BPF_LIB_SCOPE_BPF_H_
#define O2C_BPF_LIB_SCOPE_BPF_H_

#include <bpf/bpf_core_read.h>

/* Only this process (0: every task). */
const volatile __u32 target_tgid = 0;
/* ... and its descendants, up to O2C_SCOPE_DEPTH generations. */
const volatile __u32 scope_descendants = 0;

#define O2C_SCOPE_DEPTH 16

/* Whether `task` is outside the scope. */
static __always_inline bool o2c_task_out_of_scope(struct task_struct *task)
{
  if (!target_tgid)
    return false;
  for (int i = 0; i < O2C_SCOPE_DEPTH && task; i++) {
    __u32 tgid = BPF_CORE_READ(task, tgid);

    if (tgid == target_tgid)
      return false;
    if (!scope_descendants || tgid <= 1)
      return true;
    task = BPF_CORE_READ(task, real_parent);
  }
  return true;
}

#endif /* O2C_BPF_LIB_SCOPE_BPF_H_ */
