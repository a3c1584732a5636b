// The functions of fs/pipe.c that allocate and free pipe objects, by the names
// they have across kernels (6.1 through 6.18). Test and demo fixture until
// policies (testdata/policies/pipe.policy) describe compartments.
#ifndef O2C_TESTONLY_PIPE_FUNCTIONS_H_
#define O2C_TESTONLY_PIPE_FUNCTIONS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "o2c/bpf/kernel/kallsyms.h"

namespace o2c::bpf {

// Code ranges of those pipe functions present on the running kernel (some
// are inlined away or renamed on a given build). NotFound if alloc_pipe_info
// or free_pipe_info is missing: then pipes cannot be observed at all.
absl::StatusOr<std::vector<AddressRange>> PipeFunctionRanges(
    const Kallsyms& kallsyms, std::vector<std::string>* names = nullptr);

// Points a tracker's config (EnforcerConfig, ProfilerConfig: fields code,
// alloc_sites, free_sites, kernel_text) at those functions on the running
// kernel, every call from them being a site.
template <typename Config>
absl::Status UsePipeFunctions(const Kallsyms& kallsyms, Config& config) {
  absl::StatusOr<std::vector<AddressRange>> ranges = PipeFunctionRanges(kallsyms);
  if (!ranges.ok()) return ranges.status();
  absl::StatusOr<AddressRange> kernel_text = kallsyms.KernelText();
  if (!kernel_text.ok()) return kernel_text.status();
  config.code = *ranges;
  config.alloc_sites = *ranges;
  config.free_sites = *ranges;
  config.kernel_text = *kernel_text;
  return absl::OkStatus();
}

}  // namespace o2c::bpf

#endif  // O2C_TESTONLY_PIPE_FUNCTIONS_H_
