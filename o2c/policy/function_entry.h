// A function entry of a policy: "anon_pipe_write | pipe_write" names one
// function by the names it has had across kernels (the first that exists on
// the running kernel wins); a trailing '?' lets it be absent altogether.
#ifndef O2C_POLICY_FUNCTION_ENTRY_H_
#define O2C_POLICY_FUNCTION_ENTRY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace o2c::policy {

struct FunctionEntry {
  std::vector<std::string> alternatives;  // in order of preference, never empty
  bool optional = false;                  // '?': may exist under no name

  // "a | b" (with " ?" if optional), as written in a policy.
  std::string ToString() const;
};

// Parses one entry. InvalidArgument (saying what is wrong with `text`) for an
// empty entry or alternative, or a name that is not a C identifier (kernel
// symbols may also contain '.', as in "vuln_write.cold").
absl::StatusOr<FunctionEntry> ParseFunctionEntry(absl::string_view text);

}  // namespace o2c::policy

#endif  // O2C_POLICY_FUNCTION_ENTRY_H_
