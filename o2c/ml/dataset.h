// Dataset: the labelled samples the audition model learns from. Features are
// integers (what a BPF program can compute and compare), stored column-major
// in Eigen so the trainer walks one feature at a time.
#ifndef O2C_ML_DATASET_H_
#define O2C_ML_DATASET_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "Eigen/Core"
#include "absl/status/status.h"
#include "absl/types/span.h"
#include "o2c/ml/feature_schema.h"

namespace o2c::ml {

// Rows are samples, columns are features.
using FeatureMatrix = Eigen::Matrix<int64_t, Eigen::Dynamic, Eigen::Dynamic>;

struct Dataset {
  FeatureMatrix features;
  std::vector<int32_t> labels;  // one per row, in [0, num_classes())
  FeatureSchema schema;         // one entry per column
  // Optional names of the labels ("own", "kernel"); index = label.
  std::vector<std::string> class_names;

  int num_rows() const { return static_cast<int>(features.rows()); }
  int num_features() const { return static_cast<int>(features.cols()); }
  // class_names.size() if given, else 1 + the largest label (at least 2).
  int num_classes() const;
  // Row `i` as a vector, the shape Predict() takes.
  std::vector<int64_t> Row(int i) const;
  // "own" or "1" when the label has no name.
  std::string ClassName(int label) const;
  // Shapes agree, labels are in range, the schema is valid.
  absl::Status Validate() const;
  // The rows `rows`, in that order, with the same schema and class names.
  Dataset Subset(absl::Span<const int32_t> rows) const;
  // Removes the column called `name` and returns its values, one per row:
  // for a column that describes a row without being a feature to learn
  // from. nullopt, and nothing changed, when there is no such column.
  std::optional<std::vector<int64_t>> TakeColumn(const std::string& name);
  // A copy with one more column, `spec`, holding `values` (one per row).
  Dataset WithColumn(FeatureSpec spec, absl::Span<const int64_t> values) const;
};

}  // namespace o2c::ml

#endif  // O2C_ML_DATASET_H_
