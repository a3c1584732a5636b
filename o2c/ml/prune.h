// Minimal cost-complexity pruning (Breiman et al.; sklearn's ccp_alpha), and
// the tree surgery it needs: dropping orphaned nodes and numbering leaves.
#ifndef O2C_ML_PRUNE_H_
#define O2C_ML_PRUNE_H_

#include "absl/status/statusor.h"
#include "o2c/ml/criterion.h"
#include "o2c/ml/decision_tree.h"

namespace o2c::ml {

// Repeatedly collapses into a leaf the internal node t whose effective alpha
// (R(t) - R(subtree of t)) / (leaves of t - 1) is smallest, while it is at
// most `alpha`. R is the weighted impurity over the root's weight, from each
// node's class_weights (which every node must therefore carry). The result
// is compacted (CompactTree).
absl::StatusOr<DecisionTree> PruneCostComplexity(const DecisionTree& tree, Criterion criterion,
                                                 double alpha);

// The nodes reachable from the root, renumbered in preorder, leaves numbered
// densely in that order.
DecisionTree CompactTree(const DecisionTree& tree);

// Sets leaf_id of every leaf to its rank among the leaves in node order
// (and -1 on internal nodes).
void NumberLeaves(DecisionTree* tree);

}  // namespace o2c::ml

#endif  // O2C_ML_PRUNE_H_
