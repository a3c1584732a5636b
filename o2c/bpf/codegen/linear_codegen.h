// Linear-model-to-BPF code generation: a fixed-point logistic regression
// (ml::FixedPointLogistic) emitted as straight-line multiply-adds, the
// baseline the decision tree is compared with (bench/model_study). It uses
// the same TreeFrame as the tree code generator, so every program form of
// tree_program.h carries it.
#ifndef O2C_BPF_CODEGEN_LINEAR_CODEGEN_H_
#define O2C_BPF_CODEGEN_LINEAR_CODEGEN_H_

#include "o2c/bpf/codegen/emitter.h"
#include "o2c/bpf/codegen/tree_codegen.h"
#include "o2c/ml/logistic_regression.h"

namespace o2c::bpf {

// Emits score = bias + sum(weights[i] * x[i]) in 64-bit two's complement
// (as the host's FixedPointLogistic::Predict), then stores label 1 if
// score > 0 else 0, with leaf id -1, and exits. Features with weight 0 are
// not read. Clobbers r3, r4 and r5, like the tree code.
void EmitLinear(const ml::FixedPointLogistic& model, const TreeFrame& frame, Emitter& e);

}  // namespace o2c::bpf

#endif  // O2C_BPF_CODEGEN_LINEAR_CODEGEN_H_
