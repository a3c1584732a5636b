#include "o2c/ml/cart_split_rules.h"

#include <algorithm>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "o2c/ml/criterion.h"
#include "o2c/ml/prune.h"

namespace o2c::ml {

bool IsBetterSplit(const SplitCandidate& a, const SplitCandidate& b) {
  if (a.feature < 0) return false;
  if (b.feature < 0) return true;
  if (a.gain != b.gain) return a.gain > b.gain;
  if (a.feature != b.feature) return a.feature < b.feature;
  return a.threshold < b.threshold;
}

absl::Status CheckCartOptions(const CartOptions& o, const Dataset& data) {
  if (o.max_depth < 0) return absl::InvalidArgumentError("max_depth must be >= 0");
  if (o.min_samples_leaf < 1) return absl::InvalidArgumentError("min_samples_leaf must be >= 1");
  if (o.min_samples_split < 2) return absl::InvalidArgumentError("min_samples_split must be >= 2");
  if (o.min_impurity_decrease < 0) {
    return absl::InvalidArgumentError("min_impurity_decrease must be >= 0");
  }
  if (o.ccp_alpha < 0) return absl::InvalidArgumentError("ccp_alpha must be >= 0");
  if (o.max_features < 0 || o.max_features > data.num_features()) {
    return absl::InvalidArgumentError(absl::StrCat("max_features ", o.max_features,
                                                   " outside [0, ", data.num_features(), "]"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<double>> TrainingWeights(const Dataset& data, const CartOptions& options,
                                                    absl::Span<const double> row_weights) {
  const int n = data.num_rows();
  const int k = data.num_classes();
  if (!row_weights.empty() && static_cast<int>(row_weights.size()) != n) {
    return absl::InvalidArgumentError(
        absl::StrCat(row_weights.size(), " row weights for ", n, " rows"));
  }
  std::vector<double> class_weights = options.class_weights;
  if (class_weights.empty()) class_weights.assign(k, 1.0);
  if (static_cast<int>(class_weights.size()) != k) {
    return absl::InvalidArgumentError(
        absl::StrCat(class_weights.size(), " class weights for ", k, " classes"));
  }
  if (options.balanced_class_weights) {
    std::vector<double> per_class(k, 0.0);
    double total = 0;
    for (int i = 0; i < n; ++i) {
      const double w = row_weights.empty() ? 1.0 : row_weights[i];
      per_class[data.labels[i]] += w;
      total += w;
    }
    for (int c = 0; c < k; ++c) {
      class_weights[c] = per_class[c] > 0 ? total / (k * per_class[c]) : 0.0;
    }
  }
  std::vector<double> weights(n);
  double total = 0;
  for (int i = 0; i < n; ++i) {
    const double w = class_weights[data.labels[i]] * (row_weights.empty() ? 1.0 : row_weights[i]);
    if (w < 0) return absl::InvalidArgumentError(absl::StrCat("row ", i, " has a negative weight"));
    weights[i] = w;
    total += w;
  }
  if (total <= 0) return absl::InvalidArgumentError("no row has a positive weight");
  return weights;
}

bool MaySplit(const CartOptions& options, int depth, int64_t count,
              absl::Span<const double> totals) {
  int classes_present = 0;
  for (double t : totals) classes_present += t > 0;
  return depth < options.max_depth && count >= options.min_samples_split &&
         count >= 2 * options.min_samples_leaf && classes_present >= 2;
}

double SplitGain(Criterion criterion, double parent_impurity, absl::Span<const double> totals,
                 absl::Span<const double> left, absl::Span<double> right) {
  for (size_t c = 0; c < totals.size(); ++c) right[c] = std::max(0.0, totals[c] - left[c]);
  return parent_impurity -
         (WeightedImpurity(criterion, left) + WeightedImpurity(criterion, right));
}

bool WorthSplitting(const CartOptions& options, const SplitCandidate& best, double total_weight) {
  constexpr double kEpsilon = 1e-12;
  return best.feature >= 0 && best.gain / total_weight + kEpsilon >= options.min_impurity_decrease;
}

uint64_t ChildKey(uint64_t parent_key, bool right) {
  // splitmix64 of the path so far, one bit per level.
  uint64_t z = parent_key * 2 + (right ? 1 : 0) + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::vector<uint8_t> DrawFeatures(const CartOptions& options, uint64_t key, int d) {
  std::vector<uint8_t> allowed;
  if (options.max_features <= 0 || options.max_features >= d) return allowed;
  allowed.assign(d, 0);
  std::vector<int> features(d);
  for (int f = 0; f < d; ++f) features[f] = f;
  std::mt19937_64 rng(options.seed * 0x9E3779B97F4A7C15ull + key);
  for (int i = 0; i < options.max_features; ++i) {
    const int j = i + static_cast<int>(rng() % static_cast<uint64_t>(d - i));
    std::swap(features[i], features[j]);
    allowed[features[i]] = 1;
  }
  return allowed;
}

void SetLeaf(absl::Span<const double> totals, TreeNode* node) {
  node->class_weights.assign(totals.begin(), totals.end());
  node->label = MajorityLabel(node->class_weights);
  node->feature = -1;
}

void NumberBreadthFirst(DecisionTree* tree) {
  std::vector<int32_t> order = {0};  // old index by new index
  std::vector<int32_t> new_index(tree->nodes.size(), -1);
  for (size_t i = 0; i < order.size(); ++i) {
    new_index[order[i]] = static_cast<int32_t>(i);
    const TreeNode& n = tree->nodes[order[i]];
    if (n.is_leaf()) continue;
    order.push_back(n.left);
    order.push_back(n.right);
  }
  std::vector<TreeNode> nodes;
  nodes.reserve(order.size());
  for (int32_t old : order) {
    nodes.push_back(std::move(tree->nodes[old]));
    TreeNode& n = nodes.back();
    if (!n.is_leaf()) {
      n.left = new_index[n.left];
      n.right = new_index[n.right];
    }
  }
  tree->nodes = std::move(nodes);
  NumberLeaves(tree);
}

}  // namespace o2c::ml
