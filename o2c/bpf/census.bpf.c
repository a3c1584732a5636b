// SPDX-License-Identifier: GPL-2.0
/* The census: a BPF iterator over every task's open files that finds the
 * compartment's live objects from before the attach. For a file-backed
 * compartment (pipes, a character device) every live object of the
 * component that user space can reach hangs off one of its open files as
 * file->private_data; an object the private heap does not track was
 * allocated before the attach. When a walk finds none, the transition is
 * over on evidence, not on a guess.
 *
 * What it cannot see, said plainly: objects reachable from no task's file
 * table (a file in flight in an SCM_RIGHTS message, objects the component
 * keeps on internal lists without a file). */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "o2c/bpf/census.h"
#include "o2c/bpf/enforcer.h"
#include "o2c/bpf/lib/compartment_file.bpf.h"
#include "o2c/bpf/lib/heap_tracker.bpf.h"
#include "o2c/bpf/lib/scope.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader before load: the compartment's code, sorted, disjoint. */
const volatile __u32 nr_code = 0;
const volatile struct o2c_code_range code_ranges[O2C_MAX_RANGES] = {};

/* One walk's result; user space zeroes it before each walk. */
struct o2c_census_counts counts = {};

SEC("iter/task_file")
int census_task_file(struct bpf_iter__task_file *ctx)
{
  struct task_struct *task = ctx->task;
  struct file *file = ctx->file;
  void *object;

  if (!task || !file)
    return 0;
  if (o2c_task_out_of_scope(task))
    return 0;
  counts.files++;
  if (!o2c_compartment_file(code_ranges, nr_code, O2C_MAX_RANGES, file))
    return 0;
  counts.compartment_files++;
  object = BPF_CORE_READ(file, private_data);
  if (!object)
    counts.no_object++;
  else if ((__u64)object >= O2C_KERNEL_IMAGE_START)
    counts.static_object++;
  else if (o2c_is_tracked((__u64)object))
    counts.tracked++;
  else
    counts.untracked++;
  return 0;
}
