/* Structs and constants shared by enforcer.bpf.c and the C++ enforcer
 * (enforcer_programs.cc, o2c/enforcer.cc). */
#ifndef O2C_BPF_ENFORCER_H_
#define O2C_BPF_ENFORCER_H_

#include "o2c/bpf/shared_abi.h"

/* Most code ranges / call sites of each kind one enforcer watches. */
#define O2C_MAX_RANGES 256
/* Most allocating wrappers (kvmalloc, nla_strdup, ...) one program attributes
 * through the stack. */
#define O2C_MAX_WRAPPER_RANGES 32
/* Kernel stack frames kept with a violation. */
#define O2C_STACK_DEPTH 32

/* Audition classes (the model's labels). */
#define O2C_LABEL_KERNEL 0 /* a kernel object: freeing it is a violation */
#define O2C_LABEL_OWN 1    /* the compartment's own object */

enum o2c_phase {
  O2C_PHASE_TRANSITION = 1, /* untracked frees at free sites are auditioned */
  O2C_PHASE_FINAL = 2,      /* every untracked free at a free site is a violation, once
                             * user space confirms it (final_confirmed); until then,
                             * a late audition */
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
  O2C_EVENT_MAP_FULL = 5,     /* an allocation could not be tracked (detail: enum
                               * o2c_untracked_reason) */
};

/* Why a compartment allocation was not tracked (a MAP_FULL event's detail). */
enum o2c_untracked_reason {
  O2C_UNTRACKED_HEAP_FULL = 0, /* max_tracked objects were live */
  O2C_UNTRACKED_UID_QUOTA = 1, /* the allocating uid had its quota of live objects */
};

/* The two ring buffers. Verdicts (violations, auditions, untracked
 * allocations) are rare and must arrive; object events (TRACKED / FREED)
 * are many and may be lost, without taking a verdict's place. */
enum o2c_channel {
  O2C_CHANNEL_VERDICTS = 0,
  O2C_CHANNEL_OBJECTS = 1,
};

/* Where a free ran: bpf_send_signal acts on `current`, which is the task the
 * free belongs to only in process context of a user task. */
enum o2c_context {
  O2C_CONTEXT_PROCESS = 0, /* a user task in process context: it can be signalled */
  O2C_CONTEXT_SOFTIRQ = 1, /* serving a softirq: `current` was interrupted */
  O2C_CONTEXT_HARDIRQ = 2,
  O2C_CONTEXT_NMI = 3,
  O2C_CONTEXT_KTHREAD = 4, /* a kernel thread: no user task to stop */
  O2C_CONTEXT_UNKNOWN = 5, /* the kernel has no preempt_count this program can read */
};

/* o2c_event.flags. */
enum o2c_event_flag {
  /* The heap was incomplete (heap_incomplete): the verdict could be wrong,
   * so it was auditioned and its violation took no action but AUDIT. */
  O2C_EVENT_DOWNGRADED = 1,
  /* A final-phase untracked free auditioned because the final phase was not
   * confirmed (final_confirmed == 0). */
  O2C_EVENT_LATE_AUDITION = 2,
  /* KILL was asked for but no task was signalled: not a user task in process
   * context (o2c_event.context), or the signal failed. */
  O2C_EVENT_NOT_SIGNALLED = 4,
};

enum o2c_violation {
  O2C_VIOLATION_UNTRACKED_FREE = 1, /* final phase: the compartment freed a foreign object */
  O2C_VIOLATION_AUDITION = 2,       /* transition: the model said "kernel object" */
  O2C_VIOLATION_NO_MODEL = 3,       /* transition, but no tree could be entered */
  O2C_VIOLATION_STORE = 4,          /* access checks: a store the access matrix denies */
};

/* What a checked store wrote, when it is not the compartment's: bit
 * (1 << target) of store_forbidden says the access matrix denies it. */
enum o2c_store_target {
  O2C_TARGET_KERNEL_HEAP = 1, /* a slab object the private heap does not track */
  O2C_TARGET_KERNEL_DATA = 2, /* kernel memory in no slab: globals, vmalloc, pages */
};

/* A store under an access-check kprobe (the probe's cookie is its index in
 * the store_sites map). It writes at base + index * scale + displacement
 * (registers by x86 encoding number, O2C_NO_REGISTER counting 0) `width`
 * bytes, or length_register's value times width when length_register is
 * set (rep string instructions, memcpy-like helpers). */
#define O2C_NO_REGISTER (-1)
struct o2c_store_site {
  __u64 insn; /* the store instruction */
  __s64 displacement;
  __s8 base;
  __s8 index;
  __u8 scale;
  __s8 length_register;
  __u32 width;
};
O2C_ABI_ASSERT(sizeof(struct o2c_store_site) == 24, "o2c_store_site size");

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
  O2C_STAT_EVENTS,              /* records written, both rings */
  O2C_STAT_EVENTS_LOST,         /* records lost, both rings */
  O2C_STAT_OVERFLOWED,          /* tracked in the overflow map: their bucket was full */
  O2C_STAT_VERDICT_EVENTS,      /* records written to the verdict ring */
  O2C_STAT_VERDICT_EVENTS_LOST, /* records lost: the verdict ring was full */
  O2C_STAT_OBJECT_EVENTS,       /* records written to the object ring */
  O2C_STAT_OBJECT_EVENTS_LOST,  /* records lost: the object ring was full */
  O2C_STAT_NOT_SIGNALLED,       /* KILL asked for, no task signalled (interrupt, kthread) */
  O2C_STAT_DOWNGRADED,          /* verdicts downgraded: the heap was incomplete */
  O2C_STAT_UID_QUOTA,           /* allocations not tracked: their uid's quota was reached */
  O2C_STAT_LATE_AUDITIONS,      /* final-phase untracked frees auditioned: final unconfirmed */
  O2C_STAT_IGNORED_POINTERS,    /* ZERO_OR_NULL_PTR values (<= 16) seen and ignored */
  O2C_STAT_STORE_CHECKS,        /* access checks run (store kprobe hits) */
  O2C_STAT_STORE_VIOLATIONS,    /* ... that found a store the access matrix denies */
  O2C_STAT_COUNT,
};

/* A tracked object's record (lib/heap_tracker.bpf.h keeps it by address). */
struct o2c_object {
  __u64 size;
  __u64 site;    /* allocation call site (return address) */
  __u64 cache;   /* struct kmem_cache *, 0 for kmalloc */
  __u64 jiffies; /* bpf_jiffies64() at allocation */
  __u32 uid;     /* the allocating task's uid (the enforcer's per-uid quota) */
  __u32 reserved;
};
O2C_ABI_ASSERT(sizeof(struct o2c_object) == 40, "o2c_object size");
O2C_ABI_ASSERT(O2C_OFFSETOF(struct o2c_object, jiffies) == 24, "o2c_object.jiffies");
O2C_ABI_ASSERT(O2C_OFFSETOF(struct o2c_object, uid) == 32, "o2c_object.uid");

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
  __u32 context;     /* violation, audition: enum o2c_context of the free */
  __u32 flags;       /* enum o2c_event_flag bits */
  /* VIOLATION_STORE: the first address written outside the compartment's
   * assets, the bytes written from the store's start, what the target is
   * (enum o2c_store_target) and its slab cache's name ("" if none). */
  __u64 target_address;
  __u64 target_bytes;
  __u32 target;
  __u32 reserved;
  char target_cache[32];
  __u64 stack[O2C_STACK_DEPTH];
};
O2C_ABI_ASSERT(O2C_OFFSETOF(struct o2c_event, object) == 40, "o2c_event.object");
O2C_ABI_ASSERT(O2C_OFFSETOF(struct o2c_event, context) == 88, "o2c_event.context");
O2C_ABI_ASSERT(O2C_OFFSETOF(struct o2c_event, target_cache) == 120, "o2c_event.target_cache");
O2C_ABI_ASSERT(O2C_OFFSETOF(struct o2c_event, stack) == 152, "o2c_event.stack");
O2C_ABI_ASSERT(sizeof(struct o2c_event) == 152 + 8 * O2C_STACK_DEPTH, "o2c_event size");

#endif /* O2C_BPF_ENFORCER_H_ */
