#include "o2c/policy/text_parser.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/tokenizer.h"
#include "o2c/internal/edit_distance.h"

namespace o2c::policy {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::DescriptorPool;
using google::protobuf::FieldDescriptor;
using google::protobuf::FileDescriptor;

// Keeps the first error (later ones are usually its echoes).
class FirstErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (has_error_) return;
    has_error_ = true;
    line_ = line;
    column_ = column;
    message_ = message;
  }

  bool has_error() const { return has_error_; }
  // 1-based, as editors count.
  int line() const { return line_ + 1; }
  int column() const { return column_ + 1; }
  const std::string& message() const { return message_; }

 private:
  bool has_error_ = false;
  int line_ = 0;
  int column_ = 0;
  std::string message_;
};

// The text between the `n`-th pair of double quotes in `s` ("" if none).
std::string Quoted(const std::string& s, int n) {
  size_t pos = 0;
  for (int i = 0;; ++i) {
    size_t open = s.find('"', pos);
    if (open == std::string::npos) return "";
    size_t close = s.find('"', open + 1);
    if (close == std::string::npos) return "";
    if (i == n) return s.substr(open + 1, close - open - 1);
    pos = close + 1;
  }
}

// "<what>, did you mean '<nearest candidate to name>'?" (or just <what>).
std::string WithSuggestion(const std::string& what, const std::string& name,
                           const std::vector<std::string>& candidates) {
  std::string out = what;
  std::string near = NearestName(name, candidates);
  if (!near.empty()) absl::StrAppend(&out, ", did you mean '", near, "'?");
  return out;
}

// Protobuf says: Message type "o2c.policy.ViolationSpec" has no field named "acton".
std::string ExplainUnknownField(const std::string& message) {
  const Descriptor* type =
      DescriptorPool::generated_pool()->FindMessageTypeByName(Quoted(message, 0));
  std::string name = Quoted(message, 1);
  if (type == nullptr || name.empty()) return message;
  std::vector<std::string> fields;
  for (int i = 0; i < type->field_count(); ++i) fields.push_back(type->field(i)->name());
  return WithSuggestion(absl::StrCat("unknown field '", name, "' in ", type->name()), name,
                        fields);
}

// Protobuf says: Unknown enumeration value of "AUDT" for field "action".
// The field's name is all it gives: suggest from every enum field so named.
std::string ExplainUnknownEnum(const std::string& message) {
  std::string value = Quoted(message, 0);
  std::string field_name = Quoted(message, 1);
  const FileDescriptor* file = PolicySpec::descriptor()->file();
  std::vector<std::string> values;
  for (int m = 0; m < file->message_type_count(); ++m) {
    const Descriptor* type = file->message_type(m);
    const FieldDescriptor* field = type->FindFieldByName(field_name);
    if (field == nullptr || field->enum_type() == nullptr) continue;
    for (int v = 0; v < field->enum_type()->value_count(); ++v) {
      values.push_back(field->enum_type()->value(v)->name());
    }
  }
  if (value.empty() || values.empty()) return message;
  return WithSuggestion(
      absl::StrCat("unknown value '", value, "' for field '", field_name, "'"), value,
      values);
}

}  // namespace

std::string ExplainParseError(const std::string& message) {
  if (message.find("has no field named") != std::string::npos) {
    return ExplainUnknownField(message);
  }
  if (message.find("Unknown enumeration value") != std::string::npos) {
    return ExplainUnknownEnum(message);
  }
  return message;
}

absl::StatusOr<ParsedPolicyText> ParsePolicyText(absl::string_view text,
                                                 absl::string_view source) {
  ParsedPolicyText parsed;
  parsed.locations = std::make_unique<google::protobuf::TextFormat::ParseInfoTree>();
  FirstErrorCollector errors;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  parser.WriteLocationsTo(parsed.locations.get());
  if (!parser.ParseFromString(std::string(text), &parsed.spec) || errors.has_error()) {
    if (!errors.has_error()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": not a policy"));
    }
    // Protobuf reports an unknown name at its end; point at its start.
    int column = errors.column();
    std::string explained = ExplainParseError(errors.message());
    if (explained != errors.message()) {
      column = std::max(1, column - static_cast<int>(Quoted(errors.message(), 0).size()));
      if (errors.message().find("has no field named") != std::string::npos) {
        column = std::max(1, errors.column() -
                                 static_cast<int>(Quoted(errors.message(), 1).size()));
      }
    }
    return absl::InvalidArgumentError(
        absl::StrCat(source, ":", errors.line(), ":", column, ": ", explained));
  }
  return parsed;
}

}  // namespace o2c::policy
