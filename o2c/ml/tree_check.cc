#include "o2c/ml/tree_check.h"

#include <vector>

#include "absl/strings/str_cat.h"

namespace o2c::ml {

absl::Status ValidateTree(const DecisionTree& tree) {
  const int n = static_cast<int>(tree.nodes.size());
  if (n == 0) return absl::InvalidArgumentError("tree has no nodes");
  if (tree.num_classes < 1) {
    return absl::InvalidArgumentError(absl::StrCat("tree has ", tree.num_classes, " classes"));
  }
  std::vector<bool> reached(n, false);
  std::vector<bool> leaf_seen;
  std::vector<int> stack = {0};
  reached[0] = true;
  int num_leaves = 0;
  while (!stack.empty()) {
    const int i = stack.back();
    stack.pop_back();
    const TreeNode& node = tree.nodes[i];
    if (node.is_leaf()) {
      ++num_leaves;
      if (node.label < 0 || node.label >= tree.num_classes) {
        return absl::InvalidArgumentError(absl::StrCat(
            "node ", i, ": label ", node.label, " outside [0, ", tree.num_classes, ")"));
      }
      if (node.leaf_id < 0) {
        return absl::InvalidArgumentError(absl::StrCat("node ", i, ": leaf without a leaf id"));
      }
      // Dense ids are below the node count; a larger id from a file must
      // not size the table below (leaf_id + 1 overflows at INT32_MAX).
      if (node.leaf_id >= n) {
        return absl::InvalidArgumentError(absl::StrCat("node ", i,
                                                       ": leaf ids are not dense: leaf id ",
                                                       node.leaf_id, " in a tree of ", n, " nodes"));
      }
      if (static_cast<size_t>(node.leaf_id) >= leaf_seen.size()) leaf_seen.resize(node.leaf_id + 1);
      if (leaf_seen[node.leaf_id]) {
        return absl::InvalidArgumentError(
            absl::StrCat("node ", i, ": leaf id ", node.leaf_id, " used twice"));
      }
      leaf_seen[node.leaf_id] = true;
      continue;
    }
    if (node.feature >= tree.num_features) {
      return absl::InvalidArgumentError(absl::StrCat(
          "node ", i, ": feature ", node.feature, " outside [0, ", tree.num_features, ")"));
    }
    for (int child : {node.left, node.right}) {
      if (child <= 0 || child >= n) {
        return absl::InvalidArgumentError(
            absl::StrCat("node ", i, ": child ", child, " outside [1, ", n, ")"));
      }
      if (reached[child]) {
        return absl::InvalidArgumentError(
            absl::StrCat("node ", i, ": child ", child, " is reached twice (cycle or shared node)"));
      }
      reached[child] = true;
      stack.push_back(child);
    }
  }
  for (int i = 0; i < n; ++i) {
    if (!reached[i]) return absl::InvalidArgumentError(absl::StrCat("node ", i, " is unreachable"));
  }
  if (static_cast<int>(leaf_seen.size()) != num_leaves) {
    return absl::InvalidArgumentError(absl::StrCat(
        "leaf ids are not dense: ", num_leaves, " leaves but ids up to ", leaf_seen.size() - 1));
  }
  return absl::OkStatus();
}

}  // namespace o2c::ml
