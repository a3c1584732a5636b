// CART: our decision-tree trainer. It grows a DecisionTree (decision_tree.h)
// with integer thresholds: a split sends `x[f] <= t` left, t being a value
// seen in the training data, so a BPF program compiled from the tree decides
// exactly as the host does.
//
// The split search is sort-based and level-wise: each feature is sorted once
// (CartTrainer::Create), then every level of the tree is one sequential pass
// over each feature's sorted rows, each row updating the running class counts
// of the node it sits in. Rows that reached a leaf are dropped from the
// lists as they are passed, and features are shared out between threads.
// The result does not depend on the number of threads.
#ifndef O2C_ML_CART_H_
#define O2C_ML_CART_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "o2c/ml/criterion.h"
#include "o2c/ml/dataset.h"
#include "o2c/ml/decision_tree.h"

namespace o2c::ml {

struct CartOptions {
  Criterion criterion = Criterion::kGini;
  // Longest root-to-leaf path, in compares (sklearn's max_depth).
  int max_depth = 12;
  // A node with fewer rows is not split.
  int min_samples_split = 2;
  // Neither child of a split may have fewer rows.
  int min_samples_leaf = 1;
  // A split must lower the weighted impurity, as a fraction of the whole
  // training weight, by at least this much (sklearn's definition).
  double min_impurity_decrease = 0.0;
  // Weight of each class (index = label); empty = all 1. Raise the rare
  // class to trade false negatives for false positives.
  std::vector<double> class_weights;
  // Weigh classes inversely to their frequency (n / (k * n_c)); overrides
  // class_weights.
  bool balanced_class_weights = false;
  // Minimal cost-complexity pruning after growing (sklearn's ccp_alpha).
  double ccp_alpha = 0.0;
  // Features tried per node: 0 = all; else a random subset of this size
  // (random forests). The only use of `seed`.
  int max_features = 0;
  uint64_t seed = 0;
  // 0: as many threads as cores.
  int num_threads = 0;
  // Called after each level with (levels done, max_depth).
  std::function<void(int, int)> progress;
};

// Trains trees on one dataset; the sorting is done once and shared by every
// tree (the trees of a forest, the folds of a grid search).
class CartTrainer {
 public:
  // Sorts each feature of `data`, which must outlive the trainer.
  static absl::StatusOr<CartTrainer> Create(const Dataset& data, int num_threads = 0);

  // Grows a tree. `row_weights` (empty = 1 each) multiplies each row's class
  // weight; rows of weight 0 are left out (bootstrap samples).
  absl::StatusOr<DecisionTree> Train(const CartOptions& options,
                                     absl::Span<const double> row_weights = {}) const;

 private:
  CartTrainer(const Dataset* data, int num_threads) : data_(data), num_threads_(num_threads) {}

  const Dataset* data_;
  int num_threads_;
  // Per feature: row indexes by increasing value; the top bit marks the
  // first row of each distinct value.
  std::vector<std::vector<uint32_t>> sorted_;
};

// CartTrainer::Create + Train, for a single tree.
absl::StatusOr<DecisionTree> TrainCart(const Dataset& data, const CartOptions& options);

}  // namespace o2c::ml

#endif  // O2C_ML_CART_H_
