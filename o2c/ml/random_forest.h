// RandomForest: bagged CART trees voting by majority, a baseline of the
// paper's model study. A forest is a plain list of DecisionTree so the BPF
// code generator can compile it tree by tree; the vote is the one it
// implements: most votes wins, a tie goes to the LOWER label.
#ifndef O2C_ML_RANDOM_FOREST_H_
#define O2C_ML_RANDOM_FOREST_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "o2c/ml/cart.h"
#include "o2c/ml/dataset.h"
#include "o2c/ml/decision_tree.h"

namespace o2c::ml {

struct RandomForest {
  std::vector<DecisionTree> trees;
  int32_t num_classes = 2;

  // Votes of the trees; most votes wins, ties to the lower label. Allocates
  // nothing for forests of up to 16 classes.
  int32_t Predict(absl::Span<const int64_t> x) const;
};

struct ForestOptions {
  int num_trees = 16;
  // Per-tree settings. max_features 0 means round(sqrt(num_features)).
  CartOptions tree;
  // Each tree sees a bootstrap sample (n draws with replacement).
  bool bootstrap = true;
  // Fixes the bootstrap samples and the feature draws of every tree.
  uint64_t seed = 1;
};

// Trains `num_trees` trees on one shared presort (CartTrainer).
absl::StatusOr<RandomForest> TrainForest(const Dataset& data, const ForestOptions& options);

}  // namespace o2c::ml

#endif  // O2C_ML_RANDOM_FOREST_H_
