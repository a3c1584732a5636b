#include "o2c/policy/source_locator.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "o2c/policy/policy.pb.h"

namespace o2c::policy {

std::string FormatFieldPath(const FieldPath& path) {
  std::string out;
  for (const FieldStep& step : path) {
    if (!out.empty()) out += '.';
    absl::StrAppend(&out, step.field);
    if (step.index >= 0) absl::StrAppend(&out, "[", step.index, "]");
  }
  return out;
}

std::string SourceLocator::Where(const FieldPath& path) const {
  using google::protobuf::TextFormat;
  const google::protobuf::Descriptor* type = PolicySpec::descriptor();
  const TextFormat::ParseInfoTree* tree = tree_;
  TextFormat::ParseLocation best;
  for (const FieldStep& step : path) {
    if (tree == nullptr || type == nullptr) break;
    const google::protobuf::FieldDescriptor* field = type->FindFieldByName(step.field);
    if (field == nullptr) break;
    int index = field->is_repeated() ? std::max(step.index, 0) : -1;
    TextFormat::ParseLocation here = tree->GetLocation(field, index);
    // A list ("deny: [WRITE, READ]") is recorded once, at its field name.
    for (int i = index - 1; here.line < 0 && i >= 0; --i) here = tree->GetLocation(field, i);
    if (here.line >= 0) best = here;
    if (field->message_type() == nullptr) break;
    tree = tree->GetTreeForNested(field, index);
    type = field->message_type();
  }
  if (best.line < 0) return absl::StrCat(source_, ": ", FormatFieldPath(path));
  return absl::StrCat(source_, ":", best.line + 1, ":", best.column + 1, ": ",
                      FormatFieldPath(path));
}

}  // namespace o2c::policy
