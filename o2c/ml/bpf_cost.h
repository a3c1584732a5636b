// What a model would cost inside a BPF program: the model study's yardstick
// next to accuracy. Estimates, in BPF instructions, for code compiled the way
// o2c/bpf does it (features in one per-CPU array map, the model unrolled
// into straight-line compares); the code generator's real counts may differ
// by a small constant.
#ifndef O2C_ML_BPF_COST_H_
#define O2C_ML_BPF_COST_H_

#include <cstdint>
#include <string>

#include "o2c/ml/decision_tree.h"
#include "o2c/ml/random_forest.h"

namespace o2c::ml {

struct BpfCost {
  int64_t instructions = 0;   // program size
  int64_t worst_executed = 0;  // longest path through it
  int maps = 0;
  bool needs_floating_point = false;  // BPF has none: such a model cannot run as is
  bool needs_unbounded_loop = false;  // a loop over the training set or similar
  std::string note;
};

// Per internal node: a load and a conditional jump (+2 for a threshold
// outside 32 bits, which needs ld_imm64); per leaf: set the verdict, exit.
BpfCost TreeBpfCost(const DecisionTree& tree);
// The trees one after another, each adding its vote to a counter, then the
// vote (ties to the lower label).
BpfCost ForestBpfCost(const RandomForest& forest);
// Multiply-add per feature; `fixed_point` false means the float model.
BpfCost LogisticBpfCost(int num_features, bool fixed_point);
// k-NN must scan its training rows at every decision.
BpfCost KnnBpfCost(int64_t training_rows, int num_features);

// "412 insns (worst path 38), 1 map, no FP, bounded; <note>"
std::string FormatBpfCost(const BpfCost& cost);

}  // namespace o2c::ml

#endif  // O2C_ML_BPF_COST_H_
