// Tree layout: the first stage of tree-to-BPF code generation. Decides, for
// every node of a DecisionTree, how many instructions its code takes, which
// child is laid out first (fall-through) and whether the jump over that
// first child needs a 32-bit trampoline, before a single instruction is
// emitted. Also refuses trees the code generator cannot handle, naming the
// node.
//
// Code shape of an internal node (x = value[feature], t = threshold):
//   r3 = *(u64 *)(base + 8*feature)    omitted if the parent loaded the same feature
//   if r3 s> t goto second             one compare when t fits in 32 bits,
//                                      else r4 = t (ld_imm64) + register compare
//   <first subtree>                    the smaller child: the jump skips it,
//   second: <second subtree>           so offsets stay small (< 32768 up to
//                                      ~64k-instruction trees)
// When the first subtree exceeds the 16-bit range the jump is inverted to
// skip one `gotol second` (a 32-bit jump, newer kernels only).
#ifndef O2C_BPF_CODEGEN_TREE_CODEGEN_LAYOUT_H_
#define O2C_BPF_CODEGEN_TREE_CODEGEN_LAYOUT_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "o2c/ml/decision_tree.h"

namespace o2c::bpf {

// The verifier keeps at most this many pending branches
// (BPF_COMPLEXITY_LIMIT_JMP_SEQ); a tree deeper than this is refused.
inline constexpr int32_t kMaxTreeDepth = 8192;

struct LayoutOptions {
  int32_t leaf_insns = 3;   // instructions one leaf takes
  bool long_jumps = false;  // the kernel accepts gotol (BPF_JMP32 | BPF_JA)
};

struct NodeLayout {
  int64_t size = 0;          // instructions of this node and its subtree
  bool load = true;          // emits the feature load (false: parent's value is live)
  bool wide_threshold = false;  // threshold outside int32: ld_imm64 + register compare
  bool left_first = true;    // left child falls through, the jump goes right
  bool far = false;          // the jump over the first child needs gotol
};

struct TreeLayout {
  std::vector<NodeLayout> nodes;  // indexed like DecisionTree::nodes
  std::vector<int32_t> preorder;  // node indexes from the root
  int64_t size = 0;               // instructions of the whole tree
  int32_t depth = 0;              // internal nodes on the longest path
  int32_t leaves = 0;
  int32_t far_jumps = 0;
};

// Lays out `tree`. InvalidArgument naming the node for a tree that
// ml::ValidateTree refuses or that reads a feature >= O2C_MAX_FEATURES;
// OutOfRange when it is deeper than kMaxTreeDepth or needs gotol that the
// options lack.
absl::StatusOr<TreeLayout> LayOutTree(const ml::DecisionTree& tree,
                                      const LayoutOptions& options);

}  // namespace o2c::bpf

#endif  // O2C_BPF_CODEGEN_TREE_CODEGEN_LAYOUT_H_
