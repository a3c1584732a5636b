// Tree-to-BPF code generation: the decision code of a DecisionTree (or of a
// forest voting by majority) emitted into an Emitter, following the layout
// of tree_codegen_layout.h. No compiler runs at attach time: these are the
// instructions the kernel gets.
//
// The code reads the features from, and writes the verdict to, memory at a
// base register (a TreeFrame): the SYSCALL ctx, a scratch map value or a
// packet, depending on the program form (tree_program.h). It clobbers r3,
// r4 and r5, leaves r0 alone, and ends every path with `exit`, so the
// caller sets r0 before the tree code starts.
#ifndef O2C_BPF_CODEGEN_TREE_CODEGEN_H_
#define O2C_BPF_CODEGEN_TREE_CODEGEN_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "o2c/bpf/codegen/emitter.h"
#include "o2c/bpf/codegen/insn.h"
#include "o2c/bpf/codegen/tree_codegen_layout.h"
#include "o2c/ml/decision_tree.h"

namespace o2c::bpf {

// Where the features are read and the verdict (struct o2c_verdict) written.
struct TreeFrame {
  insn::Reg base = insn::R1;    // r1, r2, r6, r7, r8 or r9 (not clobbered)
  int16_t features_offset = 0;  // of o2c_features.value[0] from base
  int16_t verdict_offset = 0;   // of struct o2c_verdict from base
  // Whether stores of immediates (BPF_ST) to base are allowed. Older
  // kernels (6.1) refuse them into a SYSCALL ctx: leaves then store label
  // and leaf id as one 64-bit register (4 instructions instead of 3).
  bool imm_stores = true;
};

struct CodegenOptions {
  bool long_jumps = false;  // the kernel accepts gotol (probe with KernelHasLongJumps)
};

// Emits `tree`: each internal node loads its feature, compares it with the
// threshold (signed 64-bit, x <= t goes left) and jumps; each leaf stores
// label and leaf id and exits (r5 is clobbered too without imm_stores). Errors (a malformed tree, a tree too deep or
// needing gotol) are recorded in `e` and returned by its Finish().
void EmitTree(const ml::DecisionTree& tree, const TreeFrame& frame,
              const CodegenOptions& options, Emitter& e);

// Emits a forest: the trees run one after another, each leaf adds a vote
// for its label (counters on the stack, one per class), then the majority
// label is stored with leaf_id -1. Ties go to the lower label.
void EmitForest(absl::Span<const ml::DecisionTree> trees, const TreeFrame& frame,
                const CodegenOptions& options, Emitter& e);

// Stores the verdict (the label in register `label`, `leaf_id`) at the
// frame and exits; `scratch` carries the leaf id where the frame allows no
// immediate stores. For decision code other than trees (linear_codegen.h).
void EmitVerdictAndExit(insn::Reg label, int32_t leaf_id, insn::Reg scratch,
                        const TreeFrame& frame, Emitter& e);

// Labels a forest votes over: one more than the largest label of any leaf
// (at least the largest num_classes). Larger counts are refused.
inline constexpr int32_t kMaxForestClasses = 64;

}  // namespace o2c::bpf

#endif  // O2C_BPF_CODEGEN_TREE_CODEGEN_H_
