/* Structs shared by the audition code (the generated decision-tree programs,
 * o2c/bpf/tree_program.h) and the programs and C++ around it:
 *
 * - as the ctx of the BPF_PROG_TYPE_SYSCALL form, run by BPF_PROG_TEST_RUN:
 *   the caller fills `features`, the kernel copies the ctx back with
 *   `verdict` set;
 * - as the value of the per-CPU scratch map of the tail-call form: a
 *   tracking program fills `features` (and `object`/`site` for itself),
 *   tail-calls the tree, which writes `verdict` and tail-calls the
 *   continuation in slot O2C_AUDITION_SLOT_VERDICT of the same prog array
 *   (a tail call never returns, so the verdict is read there). */
#ifndef O2C_BPF_CODEGEN_AUDITION_H_
#define O2C_BPF_CODEGEN_AUDITION_H_

#include "o2c/bpf/shared_abi.h"

/* Features a model may read: the paper trained on 1024 raw object-content
 * words; semantic features use the first few dozen. */
#define O2C_MAX_FEATURES 1024

/* Prog-array slots of the tail-call form. */
#define O2C_AUDITION_SLOT_TREE 0    /* the generated tree */
#define O2C_AUDITION_SLOT_VERDICT 1 /* the tracker's continuation */
#define O2C_AUDITION_SLOTS 2

/* The input of one audition. The tree reads value[f] for its features f;
 * values it does not read need not be written. */
struct o2c_features {
  __s64 value[O2C_MAX_FEATURES];
  __u32 count; /* features filled by the tracker (for checks and debugging) */
  __u32 flags; /* reserved, 0 */
};
O2C_ABI_ASSERT(sizeof(struct o2c_features) == 8200, "o2c_features size");
O2C_ABI_ASSERT(O2C_OFFSETOF(struct o2c_features, count) == 8192, "o2c_features.count");

/* The answer: the class and the leaf that gave it (for explanations). A
 * forest reports its majority label and leaf_id -1. */
struct o2c_verdict {
  __s32 label;
  __s32 leaf_id;
};
O2C_ABI_ASSERT(sizeof(struct o2c_verdict) == 8, "o2c_verdict size");
O2C_ABI_ASSERT(O2C_OFFSETOF(struct o2c_verdict, leaf_id) == 4, "o2c_verdict.leaf_id");

/* One audition: the SYSCALL ctx and the scratch map value. */
struct o2c_audition {
  struct o2c_features features;
  struct o2c_verdict verdict;
  /* The tracker's own context, carried untouched to its continuation. */
  __u64 object; /* the audited object's address */
  __u64 site;   /* the call site that frees it */
};
O2C_ABI_ASSERT(sizeof(struct o2c_audition) == 8224, "o2c_audition size");
O2C_ABI_ASSERT(O2C_OFFSETOF(struct o2c_audition, verdict) == 8200, "o2c_audition.verdict");
O2C_ABI_ASSERT(O2C_OFFSETOF(struct o2c_audition, object) == 8208, "o2c_audition.object");
O2C_ABI_ASSERT(O2C_OFFSETOF(struct o2c_audition, site) == 8216, "o2c_audition.site");

#endif /* O2C_BPF_CODEGEN_AUDITION_H_ */
