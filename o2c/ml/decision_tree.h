// DecisionTree: a binary classification tree over integer features, the
// shape shared by the trainer (o2c/ml), the model file (o2c::AuditionModel)
// and the tree-to-BPF code generator (o2c/bpf). Integer thresholds make the
// BPF program decide exactly as the host does.
#ifndef O2C_ML_DECISION_TREE_H_
#define O2C_ML_DECISION_TREE_H_

#include <cstdint>
#include <vector>

#include "absl/types/span.h"

namespace o2c::ml {

// One node. Internal: `x[feature] <= threshold` goes to `left`, else `right`.
// Leaf: feature == -1, and `label` / `leaf_id` are the verdict.
struct TreeNode {
  int32_t feature = -1;
  int64_t threshold = 0;
  int32_t left = -1;
  int32_t right = -1;
  int32_t label = 0;     // leaf: predicted class
  int32_t leaf_id = -1;  // leaf: dense id in [0, num_leaves)
  // Training samples (weighted) per class that reached this node; used for
  // confidence, pruning and explanations. May be empty in hand-made trees.
  std::vector<double> class_weights;

  bool is_leaf() const { return feature < 0; }
};

// What a tree says about one sample.
struct TreePrediction {
  int32_t label = 0;
  int32_t leaf_id = -1;
};

// A tree: nodes[0] is the root. Valid trees (tree_check.h) have every child
// index in range, no cycles, and leaf ids dense in [0, num_leaves); the walks
// below assume a valid tree and `x` with num_features values.
struct DecisionTree {
  std::vector<TreeNode> nodes;
  int32_t num_features = 0;
  int32_t num_classes = 2;

  // The leaf `x` reaches. Allocates nothing: safe on hot paths.
  TreePrediction Predict(absl::Span<const int64_t> x) const {
    const TreeNode& leaf = nodes[Walk(x, [](int32_t) {})];
    return {leaf.label, leaf.leaf_id};
  }

  // Node indexes from the root to the leaf `x` reaches, for explanations.
  std::vector<int32_t> Path(absl::Span<const int64_t> x) const {
    std::vector<int32_t> path;
    const int32_t leaf = Walk(x, [&path](int32_t i) { path.push_back(i); });
    path.push_back(leaf);
    return path;
  }

 private:
  // Index of the leaf `x` reaches; `on_split(i)` sees each internal node on
  // the way, root first.
  template <typename OnSplit>
  int32_t Walk(absl::Span<const int64_t> x, OnSplit on_split) const {
    int32_t i = 0;
    while (!nodes[i].is_leaf()) {
      on_split(i);
      i = x[nodes[i].feature] <= nodes[i].threshold ? nodes[i].left : nodes[i].right;
    }
    return i;
  }
};

}  // namespace o2c::ml

#endif  // O2C_ML_DECISION_TREE_H_
