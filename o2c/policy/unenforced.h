// The parts of a policy that are parsed and validated but that no O2C
// mechanism enforces yet, so that whoever attaches the policy can say so
// instead of letting a rule look honoured. The enforcer builds only the FREE
// column of the access matrix, and only as the defaults have it (through the
// private heap: the compartment frees its own heap and nothing else).
#ifndef O2C_POLICY_UNENFORCED_H_
#define O2C_POLICY_UNENFORCED_H_

#include <string>
#include <vector>

#include "o2c/policy/policy.pb.h"
#include "o2c/policy/source_locator.h"

namespace o2c::policy {

// One message per unenforced rule, in the policy's order, each starting with
// where it was written ("pipe.policy:38:3: access.rule[0]: ..."):
//  - an access rule that names READ, WRITE or EXECUTE (nothing checks them);
//  - an access rule that changes a FREE right from its default (the enforcer
//    applies the default FREE column whatever the policy says);
//  - an interface function (calls into the kernel are not checked), noting
//    its owned-argument checks when it has them.
// `spec` must have passed ValidatePolicy.
std::vector<std::string> UnenforcedRules(const PolicySpec& spec, const SourceLocator& where);

}  // namespace o2c::policy

#endif  // O2C_POLICY_UNENFORCED_H_
