// CART: our decision-tree trainer. It grows a DecisionTree (decision_tree.h)
// with integer thresholds: a split sends `x[f] <= t` left, t being a value
// seen in the training data, so a BPF program compiled from the tree decides
// exactly as the host does.
//
// Two split searches, chosen when the trainer is created:
// - histogram (the default): each feature is quantized once to at most 256
//   bins (feature_bins.h) and nodes are split from per-bin class weights
//   (histogram_grower.h). Exact for features of at most max_bins distinct
//   values, the usual case for our features; others are split between bins
//   of about equal row counts.
// - presorted (max_bins = 0): each feature is sorted once, then every level
//   of the tree is one sequential pass over each feature's sorted rows, each
//   row updating the running class counts of the node it sits in; exact for
//   any data.
// Features are shared out between threads; the result does not depend on
// the number of threads.
#ifndef O2C_ML_CART_H_
#define O2C_ML_CART_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "o2c/ml/criterion.h"
#include "o2c/ml/dataset.h"
#include "o2c/ml/decision_tree.h"
#include "o2c/ml/feature_bins.h"

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
  // Called from the training thread as growth advances with (work done,
  // total work): levels for the presorted search, rows settled in leaves for
  // the histogram one. The last call has done == total.
  std::function<void(int, int)> progress;
};

// Bins per feature of the histogram search; 0 selects the presorted search.
inline constexpr int kDefaultMaxBins = 256;

// Trains trees on one dataset; the binning (or sorting) is done once and
// shared by every tree (the trees of a forest, the folds of a grid search).
// Train may be called from several threads at once.
class CartTrainer {
 public:
  // Bins (max_bins in [2, 256]) or sorts (max_bins = 0) each feature of
  // `data`, which must outlive the trainer.
  static absl::StatusOr<CartTrainer> Create(const Dataset& data, int num_threads = 0,
                                            int max_bins = kDefaultMaxBins);

  // Grows a tree. `row_weights` (empty = 1 each) multiplies each row's class
  // weight; rows of weight 0 are left out (bootstrap samples).
  absl::StatusOr<DecisionTree> Train(const CartOptions& options,
                                     absl::Span<const double> row_weights = {}) const;

 private:
  CartTrainer(const Dataset* data, int num_threads) : data_(data), num_threads_(num_threads) {}

  const Dataset* data_;
  int num_threads_;
  // Histogram search: the binned features.
  std::optional<FeatureBins> bins_;
  // Presorted search, per feature: row indexes by increasing value; the top
  // bit marks the first row of each distinct value.
  std::vector<std::vector<uint32_t>> sorted_;
};

// CartTrainer::Create + Train, for a single tree.
absl::StatusOr<DecisionTree> TrainCart(const Dataset& data, const CartOptions& options);

}  // namespace o2c::ml

#endif  // O2C_ML_CART_H_
