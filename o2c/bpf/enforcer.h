/* Structs and constants shared by enforcer.bpf.c and the C++ enforcer
 * (enforcer_programs.cc, o2c/enforcer.cc). */
#ifndef O2C_BPF_ENFORCER_H_
#define O2C_BPF_ENFORCER_H_

#include "o2c/bpf/shared_abi.h"

/* Most code ranges / call sites of each kind one enforcer watches. */
#define O2C_MAX_RANGES 256
/* Kernel stack frames kept with a violation. */
#define O2C_STACK_DEPTH 32

/* Audition classes (the model's labels). */
#define O2C_LABEL_KERNEL 0 /* a kernel object: freeing it is a violation */
#define O2C_LABEL_OWN 1    /* the compartment's own object */

enum o2c_phase {
  O2C_PHASE_TRANSITION = 1, /* untracked frees at free sites are auditioned */
  O2C_PHASE_FINAL = 2,      /* every untracked free at a free site is a violation */
};

/* What a violation does (bit set from the policy). */
enum o2c_action {
  O2C_ACTION_AUDIT = 1,      /* record the event (always) */
  O2C_ACTION_KILL = 2,       /* SIGKILL the current task */
  O2C_ACTION_QUARANTINE = 4, /* set the quarantine flag for entry hooks */
};

enum o2c_event_kind {
  O2C_EVENT_TRACKED = 1,      /* a compartment allocation is now tracked */
  O2C_EVENT_FREED = 2,        /* a tracked object was freed (detail: 1 if by the kernel) */
  O2C_EVENT_AUDITION = 3,     /* an untracked object was auditioned (label, leaf) */
  O2C_EVENT_VIOLATION = 4,    /* detail: enum o2c_violation */
  O2C_EVENT_MAP_FULL = 5,     /* an allocation could not be tracked */
};

enum o2c_violation {
  O2C_VIOLATION_UNTRACKED_FREE = 1, /* final phase: the compartment freed a foreign object */
  O2C_VIOLATION_AUDITION = 2,       /* transition: the model said "kernel object" */
  O2C_VIOLATION_NO_MODEL = 3,       /* transition, but no tree could be entered */
};

/* Counters, one per-CPU array slot each. Nothing is dropped silently: full
 * maps and lost ring-buffer records are counted here. */
enum o2c_stat {
  O2C_STAT_TRACKED = 0,         /* compartment allocations tracked */
  O2C_STAT_FREED_OWN,           /* tracked objects freed by the compartment */
  O2C_STAT_FREED_BY_KERNEL,     /* tracked objects freed by code outside it */
  O2C_STAT_UNTRACKED_FREES,     /* untracked objects freed at compartment free sites */
  O2C_STAT_AUDITION_OWN,        /* ... auditioned as the compartment's own */
  O2C_STAT_AUDITION_KERNEL,     /* ... auditioned as kernel objects */
  O2C_STAT_VIOLATIONS,
  O2C_STAT_KILLS,               /* bpf_send_signal(SIGKILL) calls that succeeded */
  O2C_STAT_MAP_FULL,            /* allocations not tracked: the map was full */
  O2C_STAT_EVENTS,              /* records written to the ring buffer */
  O2C_STAT_EVENTS_LOST,         /* records lost: the ring buffer was full */
  O2C_STAT_OVERFLOWED,          /* tracked in the overflow map: their bucket was full */
  O2C_STAT_COUNT,
};

/* A tracked object's record (lib/heap_tracker.bpf.h keeps it by address). */
struct o2c_object {
  __u64 size;
  __u64 site;    /* allocation call site (return address) */
  __u64 cache;   /* struct kmem_cache *, 0 for kmalloc */
  __u64 jiffies; /* bpf_jiffies64() at allocation */
};
O2C_ABI_ASSERT(sizeof(struct o2c_object) == 32, "o2c_object size");
O2C_ABI_ASSERT(O2C_OFFSETOF(struct o2c_object, jiffies) == 24, "o2c_object.jiffies");

/* One ring-buffer record. */
struct o2c_event {
  __u32 kind;   /* enum o2c_event_kind */
  __u32 detail; /* enum o2c_violation, or event-specific */
  __u64 time_ns;
  __u32 pid;
  __u32 tgid;
  char comm[16];
  __u64 object;
  __u64 site; /* the allocation or free call site */
  __s64 size;
  __s32 label;   /* audition: the model's class */
  __s32 leaf_id; /* audition: the leaf that decided */
  __u32 cpu;
  __u32 actions;     /* violation: the actions taken (enum o2c_action bits) */
  __s64 stack_bytes; /* violation: bytes of `stack` filled (or a negative errno) */
  __u64 stack[O2C_STACK_DEPTH];
};
O2C_ABI_ASSERT(O2C_OFFSETOF(struct o2c_event, object) == 40, "o2c_event.object");
O2C_ABI_ASSERT(O2C_OFFSETOF(struct o2c_event, stack) == 88, "o2c_event.stack");
O2C_ABI_ASSERT(sizeof(struct o2c_event) == 88 + 8 * O2C_STACK_DEPTH, "o2c_event size");

#endif /* O2C_BPF_ENFORCER_H_ */
