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
  // [return address, +1) of each site; the code ranges where the code could
  // not be read (Compartment::sites_exact() false).
  std::vector<bpf::AddressRange> alloc_sites;
  std::vector<bpf::AddressRange> free_sites;
  // The code of allocating wrappers the kernel reports inside themselves
  // (WrapperPath::Reported::kStack) that the compartment calls: an
  // allocation whose call_site lies in one is the compartment's when the
  // wrapper's caller on the stack is one of alloc_sites.
  std::vector<bpf::AddressRange> alloc_wrappers;
};

// The compartment's exact call sites where its code was read, its code
// ranges where it was not.
CompartmentRanges RangesOf(const Compartment& compartment);

}  // namespace o2c

#endif  // O2C_INTERNAL_COMPARTMENT_RANGES_H_
