#include "o2c/policy/function_entry.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace o2c::policy {
namespace {

bool IsSymbolName(absl::string_view name) {
  if (name.empty() || absl::ascii_isdigit(name[0])) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '.') return false;
  }
  return true;
}

}  // namespace

std::string FunctionEntry::ToString() const {
  return absl::StrCat(absl::StrJoin(alternatives, " | "), optional ? "?" : "");
}

absl::StatusOr<FunctionEntry> ParseFunctionEntry(absl::string_view text) {
  absl::string_view body = absl::StripAsciiWhitespace(text);
  FunctionEntry entry;
  if (!body.empty() && body.back() == '?') {
    entry.optional = true;
    body = absl::StripTrailingAsciiWhitespace(body.substr(0, body.size() - 1));
  }
  if (body.empty()) {
    return absl::InvalidArgumentError("empty function name");
  }
  for (absl::string_view alternative : absl::StrSplit(body, '|')) {
    alternative = absl::StripAsciiWhitespace(alternative);
    if (alternative.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", text, "': empty alternative (want 'name | other_name')"));
    }
    if (!IsSymbolName(alternative)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", text, "': '", alternative, "' is not a symbol name"));
    }
    entry.alternatives.push_back(std::string(alternative));
  }
  return entry;
}

}  // namespace o2c::policy
