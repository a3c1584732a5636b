// The allocator and free functions a policy means when it names none: the
// slab families under every name they have had (6.1's __kmalloc and
// kmalloc_trace, 6.10+'s *_noprof), each entry optional since no kernel has
// all of them.
#ifndef O2C_POLICY_DEFAULT_SITES_H_
#define O2C_POLICY_DEFAULT_SITES_H_

#include <vector>

#include "o2c/policy/function_entry.h"

namespace o2c::policy {

// Functions whose call from compartment code allocates a heap object.
const std::vector<FunctionEntry>& DefaultAllocators();
// Functions whose call from compartment code frees one.
const std::vector<FunctionEntry>& DefaultFrees();

}  // namespace o2c::policy

#endif  // O2C_POLICY_DEFAULT_SITES_H_
