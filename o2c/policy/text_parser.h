// Parses a policy written in protobuf text format. Errors point at
// "file:line:column" and, for an unknown field or enum value, suggest the
// nearest valid name taken from the schema: "pipe.policy:7:3: unknown field
// 'acton', did you mean 'action'?".
#ifndef O2C_POLICY_TEXT_PARSER_H_
#define O2C_POLICY_TEXT_PARSER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/text_format.h"
#include "o2c/policy/policy.pb.h"

namespace o2c::policy {

// A parsed policy and where each of its fields was written.
struct ParsedPolicyText {
  PolicySpec spec;
  std::unique_ptr<google::protobuf::TextFormat::ParseInfoTree> locations;
};

// Parses `text`; `source` (usually the file name) prefixes every error.
// InvalidArgument on the first syntax or schema error.
absl::StatusOr<ParsedPolicyText> ParsePolicyText(absl::string_view text,
                                                 absl::string_view source);

// Rephrases an error of protobuf's text parser about the policy schema: an
// unknown field or enum value gains the nearest valid name ("unknown field
// 'acton', did you mean 'action'?"); other messages come back unchanged.
std::string ExplainParseError(const std::string& message);

}  // namespace o2c::policy

#endif  // O2C_POLICY_TEXT_PARSER_H_
