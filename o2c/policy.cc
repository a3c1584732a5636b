#include "o2c/policy.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "o2c/policy/default_sites.h"
#include "o2c/policy/source_locator.h"
#include "o2c/policy/text_parser.h"
#include "o2c/policy/unenforced.h"
#include "o2c/policy/validate.h"
#include "o2c/internal/file_util.h"
#include "o2c/internal/status_macros.h"

namespace o2c {
namespace {

std::vector<policy::FunctionEntry> ParseEntries(
    const google::protobuf::RepeatedPtrField<std::string>& texts) {
  std::vector<policy::FunctionEntry> entries;
  for (const std::string& text : texts) {
    entries.push_back(*policy::ParseFunctionEntry(text));  // validated before
  }
  return entries;
}

std::string DirectoryOf(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

absl::StatusOr<Policy> Policy::FromFile(const std::string& path) {
  absl::StatusOr<std::string> text = internal::ReadFileBytes(path);
  if (!text.ok()) {
    return absl::Status(text.status().code(),
                        absl::StrCat(path, ": cannot open the policy file (",
                                     text.status().message(), ")"));
  }
  return FromText(*text, path, DirectoryOf(path));
}

absl::StatusOr<Policy> Policy::FromText(absl::string_view text, absl::string_view source,
                                        const std::string& base_dir) {
  O2C_ASSIGN_OR_RETURN(policy::ParsedPolicyText parsed,
                       policy::ParsePolicyText(text, source));
  policy::SourceLocator where(std::string(source), parsed.locations.get());
  O2C_RETURN_IF_ERROR(policy::ValidatePolicy(parsed.spec, where, base_dir));
  std::vector<std::string> unenforced = policy::UnenforcedRules(parsed.spec, where);
  return Build(std::move(parsed.spec), std::string(source), base_dir, std::move(unenforced));
}

absl::StatusOr<Policy> Policy::FromJson(absl::string_view json, absl::string_view source,
                                        const std::string& base_dir) {
  policy::PolicySpec spec;
  // protobuf 3.21's util::Status is its own type, not absl::Status.
  auto status = google::protobuf::util::JsonStringToMessage(std::string(json), &spec);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": ", std::string(status.message())));
  }
  return FromSpec(std::move(spec), source, base_dir);
}

absl::StatusOr<Policy> Policy::FromSpec(policy::PolicySpec spec, absl::string_view source,
                                        const std::string& base_dir) {
  policy::SourceLocator where(std::string(source), nullptr);
  O2C_RETURN_IF_ERROR(policy::ValidatePolicy(spec, where, base_dir));
  std::vector<std::string> unenforced = policy::UnenforcedRules(spec, where);
  return Build(std::move(spec), std::string(source), base_dir, std::move(unenforced));
}

absl::StatusOr<Policy> Policy::Build(policy::PolicySpec spec, std::string source,
                                     std::string base_dir,
                                     std::vector<std::string> unenforced_rules) {
  Policy p;
  p.unenforced_rules_ = std::move(unenforced_rules);
  p.functions_ = ParseEntries(spec.compartment().function());
  p.data_symbols_ = ParseEntries(spec.compartment().data_symbol());
  p.allocators_ = spec.sites().allocator_size() > 0 ? ParseEntries(spec.sites().allocator())
                                                    : policy::DefaultAllocators();
  p.frees_ = spec.sites().free_size() > 0 ? ParseEntries(spec.sites().free())
                                          : policy::DefaultFrees();
  p.access_ = policy::AccessMatrix::FromSpec(spec.access());
  p.spec_ = std::move(spec);
  p.source_ = std::move(source);
  p.base_dir_ = std::move(base_dir);
  return p;
}

std::string Policy::ToText() const {
  std::string text;
  google::protobuf::TextFormat::PrintToString(spec_, &text);
  return text;
}

absl::StatusOr<std::string> Policy::ToJson() const {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  auto status = google::protobuf::util::MessageToJsonString(spec_, &json, options);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat(source_, ": to JSON: ", std::string(status.message())));
  }
  return json;
}

std::string Policy::name() const {
  return spec_.has_name() ? spec_.name() : source_;
}

std::vector<policy::Action> Policy::actions() const {
  std::vector<policy::Action> actions;
  for (int a : spec_.violation().action()) actions.push_back(static_cast<policy::Action>(a));
  if (actions.empty()) actions.push_back(policy::AUDIT);
  return actions;
}

std::optional<std::string> Policy::model_path() const {
  if (!spec_.transition().has_model()) return std::nullopt;
  return policy::ResolveModelPath(spec_.transition().model(), base_dir_);
}

}  // namespace o2c
