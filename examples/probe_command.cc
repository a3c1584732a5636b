// o2c probe: which BPF features the running kernel offers, each with the
// errno of its refusal, and what that means for enforcement here.
#include <cstdio>

#include "examples/cli_args.h"
#include "examples/commands.h"
#include "o2c/bpf/kernel/capabilities.h"

namespace o2c::cli {

const CommandHelp kProbeHelp = {
    .name = "probe",
    .summary = "what BPF can do on this kernel, and what that means",
    .description = "What BPF can do on this kernel (each refusal with its errno), and what that "
               "means for enforcement here.",
    .example = "sudo o2c probe",
};

int ProbeCommand(int argc, char** argv) {
  Args args(argc, argv, kProbeHelp);
  if (absl::Status s = args.Finish(); !s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    return 2;
  }
  bpf::KernelCapabilities features = bpf::KernelCapabilities::Probe();
  std::fputs(features.FormatTable().c_str(), stdout);
  return 0;
}

}  // namespace o2c::cli
