#include "o2c/bpf/codegen/tree_codegen_layout.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "o2c/bpf/codegen/audition.h"
#include "o2c/ml/tree_check.h"

namespace o2c::bpf {
namespace {

constexpr int64_t kMaxJump = std::numeric_limits<int16_t>::max();

bool FitsInt32(int64_t v) {
  return v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max();
}

}  // namespace

absl::StatusOr<TreeLayout> LayOutTree(const ml::DecisionTree& tree,
                                      const LayoutOptions& options) {
  if (absl::Status valid = ml::ValidateTree(tree); !valid.ok()) return valid;
  const auto& nodes = tree.nodes;
  const int32_t n = static_cast<int32_t>(nodes.size());

  TreeLayout layout;
  layout.nodes.resize(n);
  std::vector<int32_t> parent(n, -1), depth(n, 0);
  // Preorder walk with an explicit stack: trees from files may be deep.
  std::vector<int32_t> stack = {0};
  while (!stack.empty()) {
    int32_t i = stack.back();
    stack.pop_back();
    layout.preorder.push_back(i);
    const ml::TreeNode& node = nodes[i];
    if (node.is_leaf()) {
      ++layout.leaves;
      continue;
    }
    if (node.feature >= O2C_MAX_FEATURES) {
      return absl::InvalidArgumentError(
          absl::StrCat("tree: node ", i, ": feature ", node.feature, " outside [0, ",
                       O2C_MAX_FEATURES, ") (O2C_MAX_FEATURES, the audition ABI)"));
    }
    if (depth[i] + 1 > kMaxTreeDepth) {
      return absl::OutOfRangeError(absl::StrCat("tree: deeper than ", kMaxTreeDepth,
                                                " (the verifier's limit on pending branches)"));
    }
    layout.depth = std::max(layout.depth, depth[i] + 1);
    for (int32_t child : {node.right, node.left}) {
      parent[child] = i;
      depth[child] = depth[i] + 1;
      stack.push_back(child);
    }
  }

  // Children come after their parent in preorder: walk it backwards.
  for (auto it = layout.preorder.rbegin(); it != layout.preorder.rend(); ++it) {
    const int32_t i = *it;
    const ml::TreeNode& node = nodes[i];
    NodeLayout& l = layout.nodes[i];
    if (node.is_leaf()) {
      l.size = options.leaf_insns;
      continue;
    }
    l.load = parent[i] < 0 || nodes[parent[i]].feature != node.feature;
    l.wide_threshold = !FitsInt32(node.threshold);
    int64_t left = layout.nodes[node.left].size, right = layout.nodes[node.right].size;
    l.left_first = left <= right;
    int64_t first = std::min(left, right);
    l.far = first > kMaxJump;
    if (l.far && !options.long_jumps) {
      return absl::OutOfRangeError(absl::StrCat(
          "tree: node ", i, ": both subtrees exceed the 16-bit jump range (", left, " and ",
          right, " instructions) and this kernel has no 32-bit jump (gotol)"));
    }
    layout.far_jumps += l.far;
    l.size = (l.load ? 1 : 0) + (l.wide_threshold ? 3 : 1) + (l.far ? 1 : 0) + left + right;
  }
  layout.size = layout.nodes[0].size;
  return layout;
}

}  // namespace o2c::bpf
