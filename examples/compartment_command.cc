// o2c compartment --policy F: resolves a policy's compartment on the running
// kernel and prints its code and data ranges and its allocation and free
// call sites.
#include <cstdio>

#include "examples/cli_args.h"
#include "examples/commands.h"
#include "o2c/bpf/kallsyms.h"
#include "o2c/compartment.h"
#include "o2c/policy.h"

namespace o2c::cli {
namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "o2c compartment: %s\n", std::string(status.message()).c_str());
  return 1;
}

}  // namespace

int CompartmentCommand(int argc, char** argv) {
  Args args(argc, argv);
  absl::StatusOr<std::string> path = args.Require("policy");
  if (!path.ok()) return Fail(path.status());
  bool show_access = args.Has("access");
  if (absl::Status s = args.Finish(); !s.ok()) return Fail(s);

  absl::StatusOr<Policy> policy = Policy::FromFile(*path);
  if (!policy.ok()) return Fail(policy.status());
  absl::StatusOr<bpf::Kallsyms> kallsyms = bpf::Kallsyms::FromFile();
  if (!kallsyms.ok()) return Fail(kallsyms.status());
  absl::StatusOr<Compartment> compartment = Compartment::Resolve(*policy, *kallsyms);
  if (!compartment.ok()) return Fail(compartment.status());
  std::fputs(compartment->Format(*kallsyms).c_str(), stdout);
  if (show_access) {
    std::printf("\naccess matrix:\n%s", policy->access().ToTable().c_str());
  }
  return 0;
}

}  // namespace o2c::cli
