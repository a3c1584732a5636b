// Explanations of a tree in the schema's words: why one sample got its
// verdict, and which features the tree leans on.
#ifndef O2C_ML_EXPLAIN_H_
#define O2C_ML_EXPLAIN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "o2c/ml/criterion.h"
#include "o2c/ml/dataset.h"
#include "o2c/ml/decision_tree.h"
#include "o2c/ml/feature_schema.h"

namespace o2c::ml {

// The rule the sample `x` followed, with the compares on one feature merged
// into one range and enum values by name:
//   "slab_size <= 192 and ptr0_class == COMPARTMENT_HEAP -> own"
// `class_names` may be empty (labels are then printed as numbers).
std::string DescribePath(const DecisionTree& tree, const FeatureSchema& schema,
                         const std::vector<std::string>& class_names,
                         absl::Span<const int64_t> x);

// One line per compare on the path, with the sample's value:
//   "node 0: slab_size = 128 <= 192, left"
std::string DescribeSteps(const DecisionTree& tree, const FeatureSchema& schema,
                          const std::vector<std::string>& class_names,
                          absl::Span<const int64_t> x);

// Mean decrease of impurity per feature (sklearn's feature_importances_),
// normalized to sum to 1; all zero for a single leaf or a tree without
// class_weights.
std::vector<double> FeatureImportances(const DecisionTree& tree, Criterion criterion);

// Per feature, the share of `data`'s rows whose path from the root to their
// leaf compares that feature: which features decide for most samples, where
// importances weigh impurity. `data` has the tree's features.
std::vector<double> PathShares(const DecisionTree& tree, const Dataset& data);

// "size 0.62 (on the path of 100% of rows), align 0.21 (40%), ...": the
// features with a nonzero importance or path share, most important first.
std::string DescribeDecisiveFeatures(const FeatureSchema& schema,
                                     const std::vector<double>& importances,
                                     const std::vector<double>& path_shares);

}  // namespace o2c::ml

#endif  // O2C_ML_EXPLAIN_H_
