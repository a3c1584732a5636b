// Access checks planned for one compartment and policy: which of the
// compartment's stores get a kprobe (bpf/store_probes.h), what they may not
// write, and how the kernel side finds what an address belongs to. Private
// to o2c::Enforcer (Options::access_checks).
#ifndef O2C_INTERNAL_ACCESS_CHECKS_H_
#define O2C_INTERNAL_ACCESS_CHECKS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "o2c/bpf/features.h"
#include "o2c/bpf/kernel/capabilities.h"
#include "o2c/bpf/kernel/kallsyms.h"
#include "o2c/bpf/store_probes.h"
#include "o2c/compartment.h"
#include "o2c/policy.h"

namespace o2c::internal {

struct AccessCheckPlan {
  bpf::StorePlan stores;
  uint32_t forbidden = 0;  // 1 << enum o2c_store_target the access matrix denies
  std::vector<bpf::AddressRange> own_data;
  o2c_slab_layout slab_layout = {};
  uint64_t thread_size = 16384;
  std::string why_none;  // set when no store needs a probe: why
};

// Plans the checks, at most `max_probes` kprobes. FailedPrecondition, saying
// why, where they cannot run: no kprobes at function+offset, the
// compartment's code was not read, no way to find an address's slab.
absl::StatusOr<AccessCheckPlan> PlanAccessChecks(const Compartment& compartment,
                                                 const Policy& policy,
                                                 const bpf::Kallsyms& kallsyms,
                                                 const bpf::KernelCapabilities& capabilities,
                                                 size_t max_probes);

// "kernel heap and kernel data", "kernel heap", "": the forbidden targets.
std::string ForbiddenTargetsName(uint32_t forbidden);

}  // namespace o2c::internal

#endif  // O2C_INTERNAL_ACCESS_CHECKS_H_
