// o2c::Policy: what a compartment is and what it may do, read from a policy
// file in protobuf text format (schema: o2c/policy/policy.proto; example:
// testdata/policies/pipe.policy).
//
//   absl::StatusOr<o2c::Policy> policy = o2c::Policy::FromFile("pipe.policy");
//
// Every error names where it was written: "pipe.policy:7:3: unknown field
// 'acton', did you mean 'action'?", "pipe.policy:21:5: transition.threshold:
// threshold 1.5 is outside [0, 1]". A Policy never reads the kernel: function
// names are resolved later, by o2c::Compartment::Resolve.
//
// A Policy is an immutable value once built: it owns everything it returns
// references to (valid while it lives), copies are independent, and any of
// its const methods may be called from several threads at once.
#ifndef O2C_POLICY_H_
#define O2C_POLICY_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "o2c/policy/access_matrix.h"
#include "o2c/policy/function_entry.h"
#include "o2c/policy/policy.pb.h"

namespace o2c {

class Policy {
 public:
  // Reads and validates the policy file `path`; a relative model path in it
  // is relative to the file's directory.
  static absl::StatusOr<Policy> FromFile(const std::string& path);
  // Parses and validates text-format `text`. `source` names it in errors;
  // `base_dir` anchors a relative model path.
  static absl::StatusOr<Policy> FromText(absl::string_view text,
                                         absl::string_view source = "<policy>",
                                         const std::string& base_dir = "");
  // Parses and validates the JSON form (as ToJson writes it).
  static absl::StatusOr<Policy> FromJson(absl::string_view json,
                                         absl::string_view source = "<json policy>",
                                         const std::string& base_dir = "");
  // Validates a policy built in code.
  static absl::StatusOr<Policy> FromSpec(policy::PolicySpec spec,
                                         absl::string_view source = "<policy>",
                                         const std::string& base_dir = "");

  // The text form; FromText of it gives an equal policy.
  std::string ToText() const;
  // The JSON form (proto3 JSON mapping, field names as in the schema).
  absl::StatusOr<std::string> ToJson() const;

  const policy::PolicySpec& spec() const { return spec_; }
  // Where it came from ("pipe.policy"), for messages.
  const std::string& source() const { return source_; }
  // spec().name(), or the source when the policy has no name.
  std::string name() const;

  // The compartment's functions, parsed ("a | b", "c?").
  const std::vector<policy::FunctionEntry>& functions() const { return functions_; }
  // Its extra data symbols, parsed like functions.
  const std::vector<policy::FunctionEntry>& data_symbols() const { return data_symbols_; }
  // Allocator and free functions: the policy's, or the defaults
  // (o2c/policy/default_sites.h) when it names none.
  const std::vector<policy::FunctionEntry>& allocators() const { return allocators_; }
  const std::vector<policy::FunctionEntry>& frees() const { return frees_; }

  // The effective access matrix (defaults and the policy's rules).
  const policy::AccessMatrix& access() const { return access_; }
  // What a violation does; {AUDIT} when the policy says nothing.
  std::vector<policy::Action> actions() const;
  // transition.model resolved against the policy file's directory (as
  // given when absolute or when the policy has no directory); nullopt when
  // the policy names no model. Validation checked the file existed.
  std::optional<std::string> model_path() const;

  // transition.threshold: the probability of being the compartment's own at
  // or above which an untracked object counts as own (0.5 when unset).
  double own_threshold() const { return spec_.transition().threshold(); }
  // Whether the policy wrote transition.threshold. When it did not, the
  // model's trained labels stand as they are (AuditionModel::WithOwnThreshold
  // is for an explicit threshold).
  bool own_threshold_set() const { return spec_.transition().has_threshold(); }

  // Rules this policy states that no mechanism enforces (see
  // o2c/policy/unenforced.h), each naming where it was written
  // ("pipe.policy:38:3: access.rule[0]: ..."; no line for a policy built in
  // code or read from JSON). Empty when everything it says is enforced.
  const std::vector<std::string>& UnenforcedRules() const { return unenforced_rules_; }

 private:
  Policy() = default;
  static absl::StatusOr<Policy> Build(policy::PolicySpec spec, std::string source,
                                      std::string base_dir,
                                      std::vector<std::string> unenforced_rules);

  policy::PolicySpec spec_;
  std::string source_;
  std::string base_dir_;
  std::vector<policy::FunctionEntry> functions_;
  std::vector<policy::FunctionEntry> data_symbols_;
  std::vector<policy::FunctionEntry> allocators_;
  std::vector<policy::FunctionEntry> frees_;
  policy::AccessMatrix access_;
  std::vector<std::string> unenforced_rules_;
};

}  // namespace o2c

#endif  // O2C_POLICY_H_
