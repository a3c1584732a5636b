#include "o2c/bpf/codegen/random_trees.h"

#include <limits>

namespace o2c::bpf {
namespace {

constexpr int64_t kEdges[] = {
    0,
    -1,
    1,
    std::numeric_limits<int64_t>::max(),
    std::numeric_limits<int64_t>::min(),
    std::numeric_limits<int32_t>::max(),
    std::numeric_limits<int32_t>::min(),
    int64_t{std::numeric_limits<int32_t>::max()} + 1,
    int64_t{std::numeric_limits<int32_t>::min()} - 1,
    int64_t{1} << 40,
    -(int64_t{1} << 40),
};

int64_t EdgeOrRandom(std::mt19937_64& rng) {
  switch (rng() % 4) {
    case 0: return kEdges[rng() % (sizeof(kEdges) / sizeof(kEdges[0]))];
    case 1: return static_cast<int64_t>(rng());                 // anywhere
    case 2: return static_cast<int64_t>(rng() % 2001) - 1000;   // small, signed
    default: return static_cast<int64_t>(rng() % 1000000) * 7919 - 3000000000LL;
  }
}

}  // namespace

ml::DecisionTree RandomTree(const RandomTreeOptions& options, std::mt19937_64& rng) {
  ml::DecisionTree tree;
  tree.num_features = options.num_features;
  tree.num_classes = options.num_classes;
  tree.nodes.emplace_back();
  std::vector<int32_t> depth = {0};
  std::vector<int32_t> open = {0};  // leaves that may still split
  while (static_cast<int32_t>(tree.nodes.size()) + 2 <= options.nodes && !open.empty()) {
    size_t pick = rng() % open.size();
    int32_t i = open[pick];
    open[pick] = open.back();
    open.pop_back();
    int32_t left = static_cast<int32_t>(tree.nodes.size());
    tree.nodes.emplace_back();
    tree.nodes.emplace_back();
    ml::TreeNode& node = tree.nodes[i];
    node.feature = static_cast<int32_t>(rng() % options.num_features);
    node.threshold = EdgeOrRandom(rng);
    node.left = left;
    node.right = left + 1;
    depth.push_back(depth[i] + 1);
    depth.push_back(depth[i] + 1);
    if (depth[i] + 1 < options.max_depth) {
      open.push_back(left);
      open.push_back(left + 1);
    }
  }
  // Dense leaf ids in preorder, random labels.
  int32_t next_leaf = 0;
  std::vector<int32_t> stack = {0};
  while (!stack.empty()) {
    ml::TreeNode& node = tree.nodes[stack.back()];
    stack.pop_back();
    if (node.is_leaf()) {
      node.leaf_id = next_leaf++;
      node.label = static_cast<int32_t>(rng() % options.num_classes);
    } else {
      stack.push_back(node.right);
      stack.push_back(node.left);
    }
  }
  return tree;
}

std::vector<int64_t> RandomSample(const ml::DecisionTree& tree, std::mt19937_64& rng) {
  std::vector<int64_t> x(tree.num_features);
  for (int64_t& v : x) {
    if (rng() % 3 == 0) {
      v = EdgeOrRandom(rng);
      continue;
    }
    // Near the threshold of a random internal node (any feature: cheap, and
    // the walk below makes the path's own thresholds likely too).
    const ml::TreeNode& n = tree.nodes[rng() % tree.nodes.size()];
    int64_t t = n.is_leaf() ? 0 : n.threshold;
    int64_t delta = static_cast<int64_t>(rng() % 3) - 1;
    if ((delta > 0 && t == std::numeric_limits<int64_t>::max()) ||
        (delta < 0 && t == std::numeric_limits<int64_t>::min())) {
      delta = 0;
    }
    v = t + delta;
  }
  // Walk the tree setting the tested feature near each threshold on the
  // way, so deep paths are reached and x == t, t + 1 are both exercised.
  int32_t i = 0;
  while (!tree.nodes[i].is_leaf()) {
    const ml::TreeNode& n = tree.nodes[i];
    if (rng() % 2 == 0) {
      int64_t t = n.threshold;
      x[n.feature] = (rng() % 2 == 0 || t == std::numeric_limits<int64_t>::max()) ? t : t + 1;
    }
    i = x[n.feature] <= n.threshold ? n.left : n.right;
  }
  return x;
}

}  // namespace o2c::bpf
