// ValidateTree: whether a DecisionTree is safe to walk and to compile to BPF.
// Trees come from files, so Predict() and the code generator rely on this.
#ifndef O2C_ML_TREE_CHECK_H_
#define O2C_ML_TREE_CHECK_H_

#include "absl/status/status.h"
#include "o2c/ml/decision_tree.h"

namespace o2c::ml {

// OK when the tree has a root, every child index is in range, every node is
// reached exactly once from the root (no cycles, no sharing, no orphans),
// features are < num_features, leaf labels < num_classes and leaf ids are
// dense in [0, num_leaves). Otherwise InvalidArgument naming the node.
absl::Status ValidateTree(const DecisionTree& tree);

}  // namespace o2c::ml

#endif  // O2C_ML_TREE_CHECK_H_
