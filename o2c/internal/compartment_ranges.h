// The address ranges BPF programs watch for a compartment: its code, and its
// allocation and free call sites as the kmem tracepoints report them.
#ifndef O2C_INTERNAL_COMPARTMENT_RANGES_H_
#define O2C_INTERNAL_COMPARTMENT_RANGES_H_

#include <vector>

#include "o2c/bpf/kernel/kallsyms.h"
#include "o2c/compartment.h"

namespace o2c {

struct CompartmentRanges {
  std::vector<bpf::AddressRange> code;
  std::vector<bpf::AddressRange> alloc_sites;  // [return address, +1), or code
  std::vector<bpf::AddressRange> free_sites;
  // Frees fall back to "any call_site inside compartment code": the code
  // could not be read, or a free is a tail jump (reported at the caller of
  // its function, which is compartment code too).
  bool free_fallback = false;
};

// Exact call sites where the compartment's code was read; the code ranges
// where it was not (and for tail-jumping frees).
CompartmentRanges RangesOf(const Compartment& compartment);

}  // namespace o2c

#endif  // O2C_INTERNAL_COMPARTMENT_RANGES_H_
