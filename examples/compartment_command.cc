// o2c compartment --policy F: resolves a policy's compartment on the running
// kernel and prints its code and data ranges and its allocation and free
// call sites.
#include <cstdio>

#include "examples/cli_args.h"
#include "examples/commands.h"
#include "o2c/bpf/kernel/kallsyms.h"
#include "o2c/compartment.h"
#include "o2c/policy.h"

namespace o2c::cli {
namespace {

}  // namespace

int CompartmentCommand(int argc, char** argv) {
  Args args(argc, argv);
  absl::StatusOr<std::string> path = args.Require("policy");
  if (!path.ok()) return ReportFailure("compartment", path.status());
  bool show_access = args.Has("access");
  if (absl::Status s = args.Finish(); !s.ok()) return ReportFailure("compartment", s);

  absl::StatusOr<Policy> policy = Policy::FromFile(*path);
  if (!policy.ok()) return ReportFailure("compartment", policy.status());
  absl::StatusOr<bpf::Kallsyms> kallsyms = bpf::Kallsyms::FromFile();
  if (!kallsyms.ok()) return ReportFailure("compartment", kallsyms.status());
  absl::StatusOr<Compartment> compartment = Compartment::Resolve(*policy, *kallsyms);
  if (!compartment.ok()) return ReportFailure("compartment", compartment.status());
  std::fputs(compartment->Format(*kallsyms).c_str(), stdout);
  if (show_access) {
    std::printf("\naccess matrix:\n%s", policy->access().ToTable().c_str());
  }
  return 0;
}

}  // namespace o2c::cli
