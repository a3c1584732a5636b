/* Which open files belong to the compartment (kernel side only). A file is
 * the compartment's when one of its file_operations handlers is compartment
 * code: every access to it then runs that code (for the pipe compartment,
 * every pipe and FIFO). The quarantine gate refuses such files; the census
 * walks them. */
#ifndef O2C_BPF_LIB_COMPARTMENT_FILE_BPF_H_
#define O2C_BPF_LIB_COMPARTMENT_FILE_BPF_H_

#include <bpf/bpf_core_read.h>

#include "o2c/bpf/kmem_sites.h"
#include "o2c/bpf/lib/ranges.bpf.h"

static __always_inline bool o2c_in_code(const volatile struct o2c_code_range *code, __u32 n,
                                        __u32 max, const void *fn)
{
  return fn && o2c_find_range(code, n, max, (__u64)fn) >= 0;
}

static __always_inline bool o2c_compartment_file(const volatile struct o2c_code_range *code,
                                                 __u32 n, __u32 max, struct file *file)
{
  const struct file_operations *fop = BPF_CORE_READ(file, f_op);

  if (!fop)
    return false;
  return o2c_in_code(code, n, max, BPF_CORE_READ(fop, read_iter)) ||
         o2c_in_code(code, n, max, BPF_CORE_READ(fop, write_iter)) ||
         o2c_in_code(code, n, max, BPF_CORE_READ(fop, open)) ||
         o2c_in_code(code, n, max, BPF_CORE_READ(fop, poll));
}

#endif /* O2C_BPF_LIB_COMPARTMENT_FILE_BPF_H_ */
