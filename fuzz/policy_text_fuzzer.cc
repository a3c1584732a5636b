// Fuzzes the policy text reader (o2c::Policy::FromText: the text-format
// parser, then validation). Every input is either a policy or an
// InvalidArgument naming where in the text it went wrong; a policy prints
// back (ToText) to text that reads as the same policy.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "fuzz/fuzz_check.h"
#include "o2c/policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  // A base directory that does not exist: a model path never reaches a real file.
  const std::string base_dir = "/nonexistent-o2c-fuzz";
  absl::StatusOr<o2c::Policy> policy = o2c::Policy::FromText(text, "fuzz.policy", base_dir);
  if (!policy.ok()) {
    O2C_FUZZ_CHECK(absl::StartsWith(policy.status().message(), "fuzz.policy"),
                   policy.status().ToString());
    return 0;
  }
  const std::string printed = policy->ToText();
  absl::StatusOr<o2c::Policy> again = o2c::Policy::FromText(printed, "printed.policy", base_dir);
  O2C_FUZZ_CHECK(again.ok(), again.status().ToString() + "\n" + printed);
  O2C_FUZZ_CHECK(again->ToText() == printed, printed);
  return 0;
}
