// Hand-made trees and schemas shared by the o2c/ml and AuditionModel tests.
#ifndef O2C_TESTONLY_TEST_TREES_H_
#define O2C_TESTONLY_TEST_TREES_H_

#include <string>
#include <vector>

#include "o2c/ml/decision_tree.h"
#include "o2c/ml/feature_schema.h"

namespace o2c::ml::testing {

// slab_size (plain number) and ptr0_class (0=NONE 1=KERNEL_TEXT 2=COMPARTMENT_HEAP 3=KERNEL_HEAP).
inline FeatureSchema AuditionSchema() {
  FeatureSchema s;
  s.features.push_back({"slab_size", "object size of the slab cache", {}});
  s.features.push_back({"ptr0_class", "what the object's first word points to",
                        {{0, "NONE"}, {1, "KERNEL_TEXT"}, {2, "COMPARTMENT_HEAP"}, {3, "KERNEL_HEAP"}}});
  return s;
}

inline std::vector<std::string> AuditionClasses() { return {"own", "kernel"}; }

// node 0: slab_size <= 192 ? 1 : 2
// node 1: ptr0_class <= 1 ? 3 : 4       node 2: leaf kernel (leaf 0)
// node 3: leaf kernel (leaf 1)          node 4: ptr0_class <= 2 ? 5 : 6
// node 5: leaf own (leaf 2)             node 6: leaf kernel (leaf 3)
// class_weights: own/kernel counts of a made-up training set.
inline DecisionTree AuditionTree() {
  DecisionTree t;
  t.num_features = 2;
  t.num_classes = 2;
  auto split = [](int f, int64_t th, int l, int r, std::vector<double> w) {
    TreeNode n;
    n.feature = f;
    n.threshold = th;
    n.left = l;
    n.right = r;
    n.class_weights = std::move(w);
    return n;
  };
  auto leaf = [](int label, int id, std::vector<double> w) {
    TreeNode n;
    n.label = label;
    n.leaf_id = id;
    n.class_weights = std::move(w);
    return n;
  };
  t.nodes = {split(0, 192, 1, 2, {40, 60}), split(1, 1, 3, 4, {40, 20}), leaf(1, 0, {0, 40}),
             leaf(1, 1, {0, 10}),           split(1, 2, 5, 6, {40, 10}), leaf(0, 2, {40, 0}),
             leaf(1, 3, {0, 10})};
  return t;
}

}  // namespace o2c::ml::testing

#endif  // O2C_TESTONLY_TEST_TREES_H_
