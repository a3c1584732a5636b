// The histogram CART grower: split search over binned features
// (feature_bins.h), as LightGBM and scikit-learn's HistGradientBoosting do.
//
// A node's histogram holds, per feature and bin, the class weights and row
// count of its rows; the best split of a feature is one pass over its bins.
// Of two siblings only the smaller one's histogram is built from its rows;
// the larger one's is the parent's minus it. Nodes are grown depth first, so
// at most one histogram per level is alive, and renumbered breadth first at
// the end (the numbering of the presorted grower). When every feature has
// its own bin per value the tree is the one the exact presorted search grows.
#ifndef O2C_ML_HISTOGRAM_GROWER_H_
#define O2C_ML_HISTOGRAM_GROWER_H_

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "o2c/ml/cart.h"
#include "o2c/ml/dataset.h"
#include "o2c/ml/decision_tree.h"
#include "o2c/ml/feature_bins.h"

namespace o2c::ml {

// Grows one tree on `data` binned as `bins`, each row weighing
// `row_weights[row]` (TrainingWeights; 0 = left out), features of large
// nodes shared out between `threads` threads. The tree does not depend on
// the number of threads. Nothing is retained after the call.
absl::StatusOr<DecisionTree> GrowWithHistograms(const Dataset& data, const FeatureBins& bins,
                                                const CartOptions& options,
                                                absl::Span<const double> row_weights, int threads);

}  // namespace o2c::ml

#endif  // O2C_ML_HISTOGRAM_GROWER_H_
