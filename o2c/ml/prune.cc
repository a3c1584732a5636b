#include "o2c/ml/prune.h"

#include <limits>
#include <vector>

#include "absl/strings/str_cat.h"

namespace o2c::ml {
namespace {

// Sum of leaf costs and number of leaves under each node (post-order).
struct SubtreeCost {
  double cost = 0;
  int leaves = 0;
};

SubtreeCost Measure(const DecisionTree& tree, const std::vector<double>& cost, int node,
                    std::vector<SubtreeCost>* out) {
  const TreeNode& n = tree.nodes[node];
  SubtreeCost s;
  if (n.is_leaf()) {
    s = {cost[node], 1};
  } else {
    SubtreeCost l = Measure(tree, cost, n.left, out);
    SubtreeCost r = Measure(tree, cost, n.right, out);
    s = {l.cost + r.cost, l.leaves + r.leaves};
  }
  (*out)[node] = s;
  return s;
}

}  // namespace

absl::StatusOr<DecisionTree> PruneCostComplexity(const DecisionTree& tree, Criterion criterion,
                                                 double alpha) {
  DecisionTree pruned = tree;
  std::vector<double> cost(tree.nodes.size());
  double root_weight = 0;
  for (double w : tree.nodes[0].class_weights) root_weight += w;
  for (size_t i = 0; i < tree.nodes.size(); ++i) {
    if (static_cast<int>(tree.nodes[i].class_weights.size()) != tree.num_classes) {
      return absl::InvalidArgumentError(
          absl::StrCat("node ", i, " has no class weights; pruning needs them"));
    }
    cost[i] = root_weight > 0 ? WeightedImpurity(criterion, tree.nodes[i].class_weights) / root_weight : 0;
  }
  std::vector<SubtreeCost> subtree(tree.nodes.size());
  while (!pruned.nodes[0].is_leaf()) {
    Measure(pruned, cost, 0, &subtree);
    int weakest = -1;
    double weakest_alpha = std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < pruned.nodes.size(); ++i) {
      if (pruned.nodes[i].is_leaf() || subtree[i].leaves < 2) continue;
      const double effective = (cost[i] - subtree[i].cost) / (subtree[i].leaves - 1);
      if (effective < weakest_alpha) {
        weakest_alpha = effective;
        weakest = static_cast<int>(i);
      }
    }
    // Orphaned nodes keep stale costs but are never reached from the root,
    // and Measure only visits reachable ones; their subtree[] stays 0 leaves.
    if (weakest < 0 || weakest_alpha > alpha) break;
    TreeNode& n = pruned.nodes[weakest];
    n.feature = -1;
    n.label = MajorityLabel(n.class_weights);
    for (size_t i = 0; i < subtree.size(); ++i) subtree[i] = SubtreeCost();
  }
  return CompactTree(pruned);
}

DecisionTree CompactTree(const DecisionTree& tree) {
  DecisionTree out;
  out.num_features = tree.num_features;
  out.num_classes = tree.num_classes;
  // Preorder copy with an explicit stack: (old index, slot in out to patch).
  struct Item {
    int old;
    int parent;
    bool left;
  };
  std::vector<Item> stack = {{0, -1, false}};
  while (!stack.empty()) {
    Item item = stack.back();
    stack.pop_back();
    const int index = static_cast<int>(out.nodes.size());
    out.nodes.push_back(tree.nodes[item.old]);
    if (item.parent >= 0) {
      (item.left ? out.nodes[item.parent].left : out.nodes[item.parent].right) = index;
    }
    TreeNode& n = out.nodes.back();
    if (n.is_leaf()) {
      n.left = n.right = -1;
      continue;
    }
    stack.push_back({n.right, index, false});
    stack.push_back({n.left, index, true});
  }
  NumberLeaves(&out);
  return out;
}

void NumberLeaves(DecisionTree* tree) {
  int32_t next = 0;
  for (TreeNode& n : tree->nodes) n.leaf_id = n.is_leaf() ? next++ : -1;
}

}  // namespace o2c::ml
