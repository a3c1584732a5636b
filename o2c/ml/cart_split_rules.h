// The rules both CART growers (the presorted one in cart.cc and the
// histogram one in histogram_grower.h) follow, kept in one place so the two
// grow the same tree from the same split candidates: row weights, when a
// node may be split, the gain of a split, which candidate wins a tie, and
// the features a node may try under max_features.
#ifndef O2C_ML_CART_SPLIT_RULES_H_
#define O2C_ML_CART_SPLIT_RULES_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "o2c/ml/cart.h"
#include "o2c/ml/dataset.h"
#include "o2c/ml/decision_tree.h"

namespace o2c::ml {

// A split "x[feature] <= threshold goes left" and how much it lowers the
// weighted impurity. feature < 0: none found.
struct SplitCandidate {
  double gain = 0;
  int32_t feature = -1;
  int64_t threshold = 0;
};

// Deterministic order: larger gain, then lower feature, then lower threshold.
bool IsBetterSplit(const SplitCandidate& a, const SplitCandidate& b);

// InvalidArgument naming the first option out of range.
absl::Status CheckCartOptions(const CartOptions& options, const Dataset& data);

// Each row's training weight: its class weight (options.class_weights or
// balanced) times its entry of `row_weights` (empty = 1); 0 = left out.
// InvalidArgument for mismatched sizes, a negative weight, or no positive one.
absl::StatusOr<std::vector<double>> TrainingWeights(const Dataset& data, const CartOptions& options,
                                                    absl::Span<const double> row_weights);

// Whether a node at `depth` with `count` rows and class weights `totals`
// may be split at all (depth, sample limits, purity).
bool MaySplit(const CartOptions& options, int depth, int64_t count,
              absl::Span<const double> totals);

// The decrease of weighted impurity from a node of weighted impurity
// `parent_impurity` and class weights `totals` to children `left` and
// totals - left. `right` is scratch of the same size as `totals`.
double SplitGain(Criterion criterion, double parent_impurity, absl::Span<const double> totals,
                 absl::Span<const double> left, absl::Span<double> right);

// Whether the best split of a node is worth making (min_impurity_decrease,
// relative to the whole training weight).
bool WorthSplitting(const CartOptions& options, const SplitCandidate& best, double total_weight);

// Keys name a node by its path from the root, whatever order it is grown in.
constexpr uint64_t kRootKey = 1;
uint64_t ChildKey(uint64_t parent_key, bool right);

// With max_features, marks the features node `key` may try (one byte per
// feature) from a stream fixed by the seed and the key, so the draw does not
// depend on threads or growth order. Empty when every feature may be tried.
std::vector<uint8_t> DrawFeatures(const CartOptions& options, uint64_t key, int num_features);

// Makes `node` a leaf holding `totals` (its class weights) and their majority.
void SetLeaf(absl::Span<const double> totals, TreeNode* node);

// Renumbers the nodes breadth-first from the root, left child before right
// (the order a level-wise grower creates them), then numbers the leaves.
void NumberBreadthFirst(DecisionTree* tree);

}  // namespace o2c::ml

#endif  // O2C_ML_CART_SPLIT_RULES_H_
