// o2c compartment --policy F: resolves a policy's compartment on the running
// kernel and prints its code and data ranges and its allocation and free
// call sites; with --stores, every instruction in its code that writes
// memory, classified (o2c/bpf/kernel/store_sites.h, docs/access_checks.md).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "examples/cli_args.h"
#include "examples/commands.h"
#include "o2c/bpf/kernel/kallsyms.h"
#include "o2c/bpf/kernel/store_sites.h"
#include "o2c/bpf/kernel/text_reader.h"
#include "o2c/compartment.h"
#include "o2c/policy.h"

namespace o2c::cli {

const CommandHelp kCompartmentHelp = {
    .name = "compartment",
    .summary = "resolve a policy's compartment: ranges, alloc/free sites",
    .description = "Resolves a policy's compartment on the running kernel: its code and data ranges, "
               "its allocation and free call sites; with --stores, every instruction in its code "
               "that writes memory, and the check each would need.",
    .flags = {{"policy", "FILE", "the policy file", true},
              {"access", "", "also print the policy's access matrix"},
              {"stores", "", "also print every memory write in its code, classified by the check "
                             "it needs (docs/access_checks.md)"}},
    .example = "sudo o2c compartment --policy testdata/policies/pipe.policy --access",
};
namespace {

// What the last column of the totals says about each class.
const char* StoreClassMeaning(bpf::StoreClass cls) {
  switch (cls) {
    case bpf::StoreClass::kStackFrame:
      return "the running frame: nothing to check";
    case bpf::StoreClass::kOwnData:
      return "the compartment's own data: allowed";
    case bpf::StoreClass::kFixedAddress:
      return "an address known before it runs: checkable once at attach";
    case bpf::StoreClass::kRuntime:
      return "an address in a register: needs a check at run time";
    case bpf::StoreClass::kHelperCall:
      return "a helper's destination (rdi): needs a check at run time";
  }
  return "?";
}

// The --stores section: each code range's stores and the totals.
int PrintStores(const Compartment& compartment, const bpf::Kallsyms& kallsyms) {
  std::vector<std::string> helpers;  // names: a helper may have several addresses
  for (const bpf::StoreHelper& h : bpf::FindStoreHelpers(kallsyms)) {
    if (helpers.empty() || helpers.back() != h.name) helpers.push_back(h.name);
  }
  std::vector<std::string> data_names;
  for (const NamedRange& r : compartment.data()) data_names.push_back(r.name);
  std::printf("\nstores (code read with %s):\n", compartment.text_source().c_str());
  if (data_names.empty()) {
    std::printf("own data: unknown (the compartment has no data ranges): rip-relative and "
                "absolute stores count as fixed\n");
  } else {
    std::printf("own data: %s\n", absl::StrJoin(data_names, ", ").c_str());
  }
  std::printf("helpers on this kernel: %s\n",
              helpers.empty() ? "none" : absl::StrJoin(helpers, ", ").c_str());

  const bpf::StoreAnalysis& total = compartment.stores();
  for (const NamedRange& r : compartment.code()) {
    std::printf("\n%s 0x%llx-0x%llx:\n", r.name.c_str(),
                static_cast<unsigned long long>(r.range.start),
                static_cast<unsigned long long>(r.range.end));
    std::fputs(bpf::FormatStoreReport(total, r.range.start, r.range.end, [&](uint64_t address) {
                 return kallsyms.Format(address);
               }).c_str(),
               stdout);
  }
  std::printf("\ntotal over %zu code ranges: %s\n", compartment.code().size(),
              bpf::FormatStoreSummary(total).c_str());
  for (size_t i = 0; i < bpf::kStoreClassCount; ++i) {
    auto cls = static_cast<bpf::StoreClass>(i);
    std::printf("  %-9s %7llu  %s\n", bpf::StoreClassName(cls),
                static_cast<unsigned long long>(total.count(cls)), StoreClassMeaning(cls));
  }
  std::printf("calls to other functions and through pointers are not followed; "
              "Enforcer::Options::access_checks probes the runtime and helper stores where "
              "kprobes at function+offset work; fixed ones are not checked\n");
  // With a text reader, sites are inexact only where code was unreadable.
  if (!compartment.sites_exact()) {
    std::fprintf(stderr, "o2c compartment: code unreadable (see the notes): its stores are "
                         "missing\n");
    return 1;
  }
  return 0;
}

}  // namespace

int CompartmentCommand(int argc, char** argv) {
  Args args(argc, argv, kCompartmentHelp);
  absl::StatusOr<std::string> path = args.Require("policy");
  if (!path.ok()) return ReportFailure("compartment", path.status());
  bool show_access = args.Has("access");
  bool show_stores = args.Has("stores");
  if (absl::Status s = args.Finish(); !s.ok()) return ReportFailure("compartment", s);

  absl::StatusOr<Policy> policy = Policy::FromFile(*path);
  if (!policy.ok()) return ReportFailure("compartment", policy.status());
  absl::StatusOr<bpf::Kallsyms> kallsyms = bpf::Kallsyms::FromFile();
  if (!kallsyms.ok()) return ReportFailure("compartment", kallsyms.status());
  // --stores needs the code read: without a reader it fails here, where
  // Resolve alone would go on and only note it.
  std::unique_ptr<bpf::KernelTextReader> text;
  if (show_stores) {
    absl::StatusOr<std::unique_ptr<bpf::KernelTextReader>> reader = bpf::OpenKernelTextReader();
    if (!reader.ok()) return ReportFailure("compartment --stores", reader.status());
    text = std::move(*reader);
  }
  absl::StatusOr<Compartment> compartment =
      text != nullptr ? Compartment::Resolve(*policy, *kallsyms, {.text = text.get()})
                      : Compartment::Resolve(*policy, *kallsyms);
  if (!compartment.ok()) return ReportFailure("compartment", compartment.status());
  std::fputs(compartment->Format(*kallsyms).c_str(), stdout);
  if (show_access) {
    std::printf("\naccess matrix:\n%s", policy->access().ToTable().c_str());
  }
  if (show_stores) return PrintStores(*compartment, *kallsyms);
  return 0;
}

}  // namespace o2c::cli
