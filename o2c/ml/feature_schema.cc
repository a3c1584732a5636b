#include "o2c/ml/feature_schema.h"

#include <set>

#include "absl/strings/str_cat.h"

namespace o2c::ml {

std::optional<int> FeatureSchema::Find(const std::string& name) const {
  for (int i = 0; i < size(); ++i) {
    if (features[i].name == name) return i;
  }
  return std::nullopt;
}

std::string FeatureSchema::Name(int i) const {
  if (i >= 0 && i < size() && !features[i].name.empty()) return features[i].name;
  return absl::StrCat("x", i);
}

std::string FeatureSchema::FormatValue(int feature, int64_t value) const {
  if (feature >= 0 && feature < size()) {
    auto it = features[feature].value_names.find(value);
    if (it != features[feature].value_names.end()) return it->second;
  }
  return absl::StrCat(value);
}

absl::Status FeatureSchema::Validate() const {
  std::set<std::string> seen;
  for (int i = 0; i < size(); ++i) {
    if (features[i].name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("feature ", i, " has no name"));
    }
    if (!seen.insert(features[i].name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("feature ", i, ": duplicate name '", features[i].name, "'"));
    }
  }
  return absl::OkStatus();
}

absl::Status CompareSchemas(const FeatureSchema& expected, const FeatureSchema& actual) {
  if (expected.extractor_version != 0 && actual.extractor_version != 0 &&
      expected.extractor_version != actual.extractor_version) {
    return absl::FailedPreconditionError(absl::StrCat(
        "schema is of feature extractor v", actual.extractor_version, ", expected v",
        expected.extractor_version));
  }
  if (expected.size() != actual.size()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "schema has ", actual.size(), " features, expected ", expected.size()));
  }
  for (int i = 0; i < expected.size(); ++i) {
    const FeatureSpec& e = expected.features[i];
    const FeatureSpec& a = actual.features[i];
    if (e.name != a.name) {
      return absl::FailedPreconditionError(absl::StrCat(
          "schema feature ", i, " is '", a.name, "', expected '", e.name, "'"));
    }
    if (e.value_names != a.value_names) {
      return absl::FailedPreconditionError(absl::StrCat(
          "schema feature ", i, " ('", a.name, "') has different enum values than expected"));
    }
  }
  return absl::OkStatus();
}

void SchemaToProto(const FeatureSchema& schema, proto::FeatureSchema* out) {
  out->Clear();
  out->set_extractor_version(schema.extractor_version);
  out->set_kernel_release(schema.kernel_release);
  for (const FeatureSpec& f : schema.features) {
    proto::FeatureSpec* p = out->add_features();
    p->set_name(f.name);
    p->set_meaning(f.meaning);
    for (const auto& [value, name] : f.value_names) (*p->mutable_value_names())[value] = name;
  }
}

FeatureSchema SchemaFromProto(const proto::FeatureSchema& in) {
  FeatureSchema schema;
  schema.extractor_version = in.extractor_version();
  schema.kernel_release = in.kernel_release();
  for (const proto::FeatureSpec& p : in.features()) {
    FeatureSpec f;
    f.name = p.name();
    f.meaning = p.meaning();
    for (const auto& [value, name] : p.value_names()) f.value_names[value] = name;
    schema.features.push_back(std::move(f));
  }
  return schema;
}

}  // namespace o2c::ml
