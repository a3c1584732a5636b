#include "o2c/internal/access_checks.h"

#include "absl/strings/str_cat.h"
#include "o2c/bpf/enforcer.h"
#include "o2c/bpf/loader/slab_lookup.h"

namespace o2c::internal {

namespace {

// The kernel's stack size on x86-64: 16 KiB, doubled under KASAN.
uint64_t ThreadSize(const bpf::Kallsyms& kallsyms) {
  return kallsyms.FindAll("kasan_init").empty() ? 16384 : 32768;
}

}  // namespace

std::string ForbiddenTargetsName(uint32_t forbidden) {
  const bool heap = forbidden & (1u << O2C_TARGET_KERNEL_HEAP);
  const bool data = forbidden & (1u << O2C_TARGET_KERNEL_DATA);
  if (heap && data) return "kernel heap and kernel data";
  if (heap) return "kernel heap";
  if (data) return "kernel data";
  return "";
}

absl::StatusOr<AccessCheckPlan> PlanAccessChecks(const Compartment& compartment,
                                                 const Policy& policy,
                                                 const bpf::Kallsyms& kallsyms,
                                                 const bpf::KernelCapabilities& capabilities,
                                                 size_t max_probes) {
  auto refuse = [](const std::string& why) {
    return absl::FailedPreconditionError(absl::StrCat("access checks: ", why));
  };
  if (!capabilities.Has(bpf::Capability::kKprobeOffset)) {
    return refuse(absl::StrCat("kprobes at function+offset do not work here (",
                               capabilities.Get(bpf::Capability::kKprobeOffset).detail,
                               "); free-site enforcement works without them"));
  }
  if (!compartment.sites_exact()) {
    return refuse("the compartment's code was not read, so its stores are unknown");
  }
  bpf::SlabLookup walk = bpf::SlabLookupWithoutKfunc(kallsyms);
  if (walk.method != O2C_SLAB_LOOKUP_WALK) {
    return refuse(absl::StrCat("no way to find the slab object of an address: ", walk.why));
  }
  AccessCheckPlan plan;
  plan.slab_layout = walk.layout;
  plan.thread_size = ThreadSize(kallsyms);
  const policy::AccessMatrix& matrix = policy.access();
  if (matrix.Get(policy::COMPARTMENT, policy::KERNEL_HEAP, policy::WRITE) ==
      policy::Decision::kDeny) {
    plan.forbidden |= 1u << O2C_TARGET_KERNEL_HEAP;
  }
  if (matrix.Get(policy::COMPARTMENT, policy::KERNEL_DATA, policy::WRITE) ==
      policy::Decision::kDeny) {
    plan.forbidden |= 1u << O2C_TARGET_KERNEL_DATA;
  }
  for (const NamedRange& r : compartment.data()) plan.own_data.push_back(r.range);
  if (plan.forbidden == 0) {
    plan.why_none = "the policy lets the compartment write kernel heap and kernel data";
    return plan;
  }
  plan.stores = bpf::PlanStoreProbes(compartment.stores(), kallsyms, max_probes);
  if (plan.stores.probes.empty()) {
    plan.why_none = "static analysis cleared every store of the compartment";
  }
  return plan;
}

}  // namespace o2c::internal
