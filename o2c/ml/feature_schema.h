// FeatureSchema: the names and meanings of a model's integer features. It
// travels with the dataset and the model file, so an explanation can say
// "slab_size <= 192" instead of "x[3] <= 192", and so a model is never fed
// features in another order than it was trained on.
#ifndef O2C_ML_FEATURE_SCHEMA_H_
#define O2C_ML_FEATURE_SCHEMA_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "o2c/ml/model.pb.h"

namespace o2c::ml {

// One feature column.
struct FeatureSpec {
  std::string name;     // identifier, e.g. "slab_size"
  std::string meaning;  // one line for humans, may be empty
  // Enumerated values, e.g. {2, "COMPARTMENT_HEAP"}; empty for plain numbers.
  std::map<int64_t, std::string> value_names;

  bool operator==(const FeatureSpec& o) const {
    return name == o.name && meaning == o.meaning && value_names == o.value_names;
  }
};

// The ordered feature columns.
struct FeatureSchema {
  std::vector<FeatureSpec> features;
  // The version of the extractor that computes these features (the BPF
  // side's O2C_FEATURES_VERSION), so that a model trained on one version's
  // numbers is never fed another's under the same names. 0: unknown (a CSV
  // dataset, or a file written before versions were recorded).
  uint32_t extractor_version = 0;
  // The kernel (its release, as uname gives it) whose objects these features
  // were computed from: struct layouts differ between kernels, so the same
  // numbers can describe different objects elsewhere. Provenance, not part of
  // the schema's identity (operator== ignores it). Empty: unknown.
  std::string kernel_release;

  int size() const { return static_cast<int>(features.size()); }
  // Index of the feature called `name`, if any.
  std::optional<int> Find(const std::string& name) const;
  // "slab_size" or "x7" when the schema does not cover index `i`.
  std::string Name(int i) const;
  // A value as a human reads it: its enum name if it has one, else the number.
  std::string FormatValue(int feature, int64_t value) const;
  // Names are non-empty and unique.
  absl::Status Validate() const;

  bool operator==(const FeatureSchema& o) const {
    return features == o.features && extractor_version == o.extractor_version;
  }
  bool operator!=(const FeatureSchema& o) const { return !(*this == o); }
};

// Describes how `actual` differs from `expected` (first difference only), or
// returns OK when they name the same features in the same order and neither
// states an extractor version the other contradicts (0 is unknown and
// matches any). Meanings are not compared: they are documentation.
absl::Status CompareSchemas(const FeatureSchema& expected, const FeatureSchema& actual);

// Conversions to and from the file formats' message.
void SchemaToProto(const FeatureSchema& schema, proto::FeatureSchema* out);
FeatureSchema SchemaFromProto(const proto::FeatureSchema& in);

}  // namespace o2c::ml

#endif  // O2C_ML_FEATURE_SCHEMA_H_
