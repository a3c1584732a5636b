/* Searching sorted, disjoint code ranges from BPF (kernel side only). */
#ifndef O2C_BPF_LIB_RANGES_BPF_H_
#define O2C_BPF_LIB_RANGES_BPF_H_

#include "o2c/bpf/kmem_sites.h"

/* Index of the range in r[0..n) holding `ip`, or -1. `max` is the array's
 * capacity (a compile-time constant the verifier can bound indexes with). */
static __always_inline int o2c_find_range(const volatile struct o2c_code_range *r,
                                          __u32 n, __u32 max, __u64 ip)
{
  __u32 lo = 0, hi = n;

  /* Most addresses lie outside the whole span: two compares decide. */
  if (n == 0 || n > max || ip < r[0].start || ip >= r[n - 1].end)
    return -1;
  /* 2^9 > every O2C range array; each step halves [lo, hi). */
  for (int step = 0; step < 9 && lo < hi; step++) {
    __u32 mid = (lo + hi) / 2;

    if (mid >= max)
      return -1;
    if (ip < r[mid].start)
      hi = mid;
    else if (ip >= r[mid].end)
      lo = mid + 1;
    else
      return mid;
  }
  return -1;
}

#endif /* O2C_BPF_LIB_RANGES_BPF_H_ */
