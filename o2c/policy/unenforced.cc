#include "o2c/policy/unenforced.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "o2c/policy/access_matrix.h"

namespace o2c::policy {
namespace {

// What `rule` says that the enforcer does not do; empty if nothing.
std::string UnenforcedPartOf(const AccessRule& rule, const AccessMatrix& defaults) {
  std::vector<std::string> unchecked;
  std::vector<std::string> free_changes;
  auto look = [&](int right, Decision decision) {
    if (right != FREE) {
      unchecked.push_back(Right_Name(right));
    } else if (defaults.Get(rule.subject(), rule.object(), FREE) != decision) {
      free_changes.push_back(absl::StrCat(decision == Decision::kAllow ? "allows" : "denies",
                                          " FREE against the default"));
    }
  };
  for (int right : rule.allow()) look(right, Decision::kAllow);
  for (int right : rule.deny()) look(right, Decision::kDeny);
  if (unchecked.empty() && free_changes.empty()) return "";
  std::string what = absl::StrCat(Subject_Name(rule.subject()), " on ",
                                  Object_Name(rule.object()), ": ");
  if (!unchecked.empty()) {
    absl::StrAppend(&what, absl::StrJoin(unchecked, ", "),
                    " not enforced (only FREE rights are, through the private heap)");
  }
  if (!free_changes.empty()) {
    absl::StrAppend(&what, unchecked.empty() ? "" : "; ", absl::StrJoin(free_changes, ", "),
                    ", not enforced (the enforcer applies the default FREE rights)");
  }
  return what;
}

}  // namespace

std::vector<std::string> UnenforcedRules(const PolicySpec& spec, const SourceLocator& where) {
  std::vector<std::string> rules;
  const AccessMatrix defaults;
  for (int i = 0; i < spec.access().rule_size(); ++i) {
    std::string what = UnenforcedPartOf(spec.access().rule(i), defaults);
    if (!what.empty()) {
      rules.push_back(absl::StrCat(where.Where({{"access"}, {"rule", i}}), ": ", what));
    }
  }
  for (int i = 0; i < spec.interface().function_size(); ++i) {
    const InterfaceFunction& f = spec.interface().function(i);
    std::string what = absl::StrCat("calls of '", f.function(), "' are not checked");
    if (f.owned_arg_size() > 0) {
      absl::StrAppend(&what, ", nor that argument", f.owned_arg_size() > 1 ? "s " : " ",
                      absl::StrJoin(f.owned_arg(), ", "), " point",
                      f.owned_arg_size() > 1 ? "" : "s", " to compartment memory");
    }
    rules.push_back(
        absl::StrCat(where.Where({{"interface"}, {"function", i}}), ": ", what));
  }
  return rules;
}

}  // namespace o2c::policy
