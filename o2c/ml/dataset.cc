#include "o2c/ml/dataset.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"

namespace o2c::ml {

int Dataset::num_classes() const {
  if (!class_names.empty()) return static_cast<int>(class_names.size());
  int32_t max_label = 1;
  for (int32_t l : labels) max_label = std::max(max_label, l);
  // Saturates: a label of INT32_MAX (which Validate refuses) has no successor.
  return max_label == std::numeric_limits<int32_t>::max() ? max_label : max_label + 1;
}

std::vector<int64_t> Dataset::Row(int i) const {
  std::vector<int64_t> row(num_features());
  for (int f = 0; f < num_features(); ++f) row[f] = features(i, f);
  return row;
}

std::string Dataset::ClassName(int label) const {
  if (label >= 0 && label < static_cast<int>(class_names.size())) return class_names[label];
  return absl::StrCat(label);
}

absl::Status Dataset::Validate() const {
  if (static_cast<int64_t>(labels.size()) != features.rows()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "dataset has ", features.rows(), " rows but ", labels.size(), " labels"));
  }
  if (schema.size() != num_features()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "dataset has ", num_features(), " feature columns but a schema of ", schema.size()));
  }
  if (absl::Status s = schema.Validate(); !s.ok()) return s;
  const int k = num_classes();
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || labels[i] >= k) {
      return absl::InvalidArgumentError(absl::StrCat(
          "row ", i, ": label ", labels[i], " is outside [0, ", k, ")"));
    }
  }
  return absl::OkStatus();
}

Dataset Dataset::Subset(absl::Span<const int32_t> rows) const {
  Dataset out;
  out.schema = schema;
  out.class_names = class_names;
  out.features.resize(static_cast<Eigen::Index>(rows.size()), features.cols());
  out.labels.resize(rows.size());
  for (int f = 0; f < num_features(); ++f) {
    for (size_t i = 0; i < rows.size(); ++i) out.features(i, f) = features(rows[i], f);
  }
  for (size_t i = 0; i < rows.size(); ++i) out.labels[i] = labels[rows[i]];
  return out;
}

std::optional<std::vector<int64_t>> Dataset::TakeColumn(const std::string& name) {
  std::optional<int> column = schema.Find(name);
  if (!column.has_value()) return std::nullopt;
  const int c = *column;
  std::vector<int64_t> values(features.col(c).data(), features.col(c).data() + num_rows());
  FeatureMatrix rest(num_rows(), num_features() - 1);
  rest << features.leftCols(c), features.rightCols(num_features() - c - 1);
  features = std::move(rest);
  schema.features.erase(schema.features.begin() + c);
  return values;
}

Dataset Dataset::WithColumn(FeatureSpec spec, absl::Span<const int64_t> values) const {
  Dataset out = *this;
  out.features.conservativeResize(Eigen::NoChange, num_features() + 1);
  for (int i = 0; i < num_rows(); ++i) out.features(i, num_features()) = values[i];
  out.schema.features.push_back(std::move(spec));
  return out;
}

}  // namespace o2c::ml
