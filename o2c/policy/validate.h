// Semantic checks of a parsed policy, each failure a distinct message that
// names where the mistake was written:
//   an empty compartment, a malformed function entry or range, a right both
//   allowed and denied, an unspecified enum, a threshold outside [0, 1], a
//   limit of 0, a model file that does not exist.
#ifndef O2C_POLICY_VALIDATE_H_
#define O2C_POLICY_VALIDATE_H_

#include <string>

#include "absl/status/status.h"
#include "o2c/policy/policy.pb.h"
#include "o2c/policy/source_locator.h"

namespace o2c::policy {

// The model path as the enforcer will open it: `model` if absolute, else
// relative to `base_dir` (the policy file's directory).
std::string ResolveModelPath(const std::string& model, const std::string& base_dir);

// OK, or the first problem of `spec`: InvalidArgument, except NotFound for a
// missing model file.
absl::Status ValidatePolicy(const PolicySpec& spec, const SourceLocator& where,
                            const std::string& base_dir);

}  // namespace o2c::policy

#endif  // O2C_POLICY_VALIDATE_H_
