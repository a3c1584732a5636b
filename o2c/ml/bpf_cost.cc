#include "o2c/ml/bpf_cost.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"

namespace o2c::ml {
namespace {

// Looking the features up in their per-CPU map and checking the pointer.
constexpr int64_t kPrologue = 6;
constexpr int64_t kLeaf = 2;  // mov r0, label; exit (or jump to the vote)

bool FitsImm32(int64_t v) {
  return v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max();
}

int64_t NodeCost(const TreeNode& n) {
  if (n.is_leaf()) return kLeaf;
  return FitsImm32(n.threshold) ? 2 : 4;  // ldx + jle imm, or ldx + ld_imm64 (2) + jle reg
}

int64_t WorstPath(const DecisionTree& tree, int node) {
  const TreeNode& n = tree.nodes[node];
  if (n.is_leaf()) return kLeaf;
  return NodeCost(n) + std::max(WorstPath(tree, n.left), WorstPath(tree, n.right));
}

}  // namespace

BpfCost TreeBpfCost(const DecisionTree& tree) {
  BpfCost cost;
  cost.maps = 1;
  cost.instructions = kPrologue;
  for (const TreeNode& n : tree.nodes) cost.instructions += NodeCost(n);
  cost.worst_executed = kPrologue + (tree.nodes.empty() ? 0 : WorstPath(tree, 0));
  cost.note = "integer compares only";
  return cost;
}

BpfCost ForestBpfCost(const RandomForest& forest) {
  BpfCost cost;
  cost.maps = 1;
  cost.instructions = kPrologue;
  cost.worst_executed = kPrologue;
  for (const DecisionTree& t : forest.trees) {
    BpfCost tree = TreeBpfCost(t);
    // A leaf adds to a vote register and jumps to the next tree instead of exiting.
    cost.instructions += tree.instructions - kPrologue;
    cost.worst_executed += tree.worst_executed - kPrologue;
  }
  const int64_t vote = 2 * forest.num_classes;  // compare the counters, lower label first
  cost.instructions += vote;
  cost.worst_executed += vote;
  cost.note = absl::StrCat(forest.trees.size(), " trees, one vote counter per class");
  return cost;
}

BpfCost LogisticBpfCost(int num_features, bool fixed_point) {
  BpfCost cost;
  cost.maps = 1;
  // ldx, mul (ld_imm64 first for a 64-bit weight: +2), add per feature; bias, compare, exit.
  cost.instructions = kPrologue + 5LL * num_features + 4;
  cost.worst_executed = cost.instructions;
  cost.needs_floating_point = !fixed_point;
  cost.note = fixed_point ? "int64 fixed point, overflow ruled out for the training ranges"
                          : "float weights: BPF has no floating point";
  return cost;
}

BpfCost KnnBpfCost(int64_t training_rows, int num_features) {
  BpfCost cost;
  cost.maps = 2;  // the training rows and their labels
  cost.instructions = kPrologue + 4LL * num_features + 20;  // one distance, a bpf_loop body
  cost.worst_executed = training_rows * (4LL * num_features + 12);
  cost.needs_unbounded_loop = true;
  cost.note = absl::StrCat("scans ", training_rows,
                           " rows per decision (bpf_loop at best; far over budget at a free site)");
  return cost;
}

std::string FormatBpfCost(const BpfCost& cost) {
  return absl::StrCat(cost.instructions, " insns (worst path ", cost.worst_executed, "), ",
                      cost.maps, cost.maps == 1 ? " map, " : " maps, ",
                      cost.needs_floating_point ? "NEEDS FLOATING POINT, " : "no FP, ",
                      cost.needs_unbounded_loop ? "UNBOUNDED LOOP" : "bounded", "; ", cost.note);
}

}  // namespace o2c::ml
