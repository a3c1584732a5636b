// Random decision trees and samples for testing and benchmarking the code
// generator without a trainer: thresholds and feature values are drawn to
// hit the edges (x == t, t +- 1, 0, negative, INT32 and INT64 limits).
#ifndef O2C_BPF_CODEGEN_RANDOM_TREES_H_
#define O2C_BPF_CODEGEN_RANDOM_TREES_H_

#include <cstdint>
#include <random>
#include <vector>

#include "o2c/ml/decision_tree.h"

namespace o2c::bpf {

struct RandomTreeOptions {
  int32_t nodes = 15;       // wanted node count (odd; stops early at max_depth)
  int32_t max_depth = 4;    // internal nodes on the longest path
  int32_t num_features = 16;
  int32_t num_classes = 2;
};

// Grows a tree by splitting random leaves above max_depth until it has
// `nodes` nodes: nodes = 2^(d+1) - 1 with max_depth d gives a complete tree.
// Leaf ids are dense in preorder.
ml::DecisionTree RandomTree(const RandomTreeOptions& options, std::mt19937_64& rng);

// A sample for `tree`: each feature is one of the tree's thresholds on it
// (+ -1, 0 or +1), an edge value, or random.
std::vector<int64_t> RandomSample(const ml::DecisionTree& tree, std::mt19937_64& rng);

}  // namespace o2c::bpf

#endif  // O2C_BPF_CODEGEN_RANDOM_TREES_H_
