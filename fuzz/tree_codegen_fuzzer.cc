// Fuzzes the tree-to-BPF code generator (o2c/bpf/codegen/tree_codegen.h) on
// trees decoded from the input: grown split by split, with complete subtrees
// and long chains for size and depth, then maybe corrupted the way a model
// file could be. Each tree (or forest) either compiles to code whose size is
// the layout's, whose jumps land inside the program and whose memory
// accesses stay at the frame's offsets, or is refused with InvalidArgument
// or OutOfRange. No kernel is needed.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "fuzz/fuzz_check.h"
#include "o2c/bpf/codegen/audition.h"
#include "o2c/bpf/codegen/disassembler.h"
#include "o2c/bpf/codegen/tree_codegen.h"
#include "o2c/bpf/codegen/tree_codegen_layout.h"
#include "o2c/ml/tree_check.h"

namespace {

using o2c::ml::DecisionTree;
using o2c::ml::TreeNode;

// Thresholds at the edges the code generator treats differently (int32 or
// wider), or any value.
int64_t DecodeThreshold(FuzzedDataProvider& in) {
  constexpr int64_t kEdges[] = {0,
                                -1,
                                1,
                                std::numeric_limits<int32_t>::max(),
                                int64_t{std::numeric_limits<int32_t>::max()} + 1,
                                std::numeric_limits<int32_t>::min(),
                                int64_t{std::numeric_limits<int32_t>::min()} - 1,
                                std::numeric_limits<int64_t>::min(),
                                std::numeric_limits<int64_t>::max()};
  const size_t pick = in.ConsumeIntegralInRange<size_t>(0, std::size(kEdges));
  return pick < std::size(kEdges) ? kEdges[pick] : in.ConsumeIntegral<int64_t>();
}

int32_t NewNode(DecisionTree& tree) {
  tree.nodes.emplace_back();
  return static_cast<int32_t>(tree.nodes.size() - 1);
}

// Turns leaf `i` into a split on `feature` with two new leaves; returns them.
std::pair<int32_t, int32_t> Split(DecisionTree& tree, int32_t i, int32_t feature,
                                  int64_t threshold) {
  const int32_t left = NewNode(tree), right = NewNode(tree);
  TreeNode& node = tree.nodes[i];
  node.feature = feature;
  node.threshold = threshold;
  node.left = left;
  node.right = right;
  return {left, right};
}

// A valid tree (before corruption): leaves get labels in range and dense
// leaf ids in preorder.
DecisionTree DecodeTree(FuzzedDataProvider& in) {
  DecisionTree tree;
  tree.num_features = in.ConsumeIntegralInRange<int32_t>(1, O2C_MAX_FEATURES + 2);
  tree.num_classes = in.ConsumeIntegralInRange<int32_t>(1, o2c::bpf::kMaxForestClasses + 2);
  std::vector<int32_t> open = {NewNode(tree)};  // leaves that may still split
  while (!open.empty() && in.remaining_bytes() > 0 && tree.nodes.size() < 100000) {
    const int32_t i = open.back();
    open.pop_back();
    const int32_t feature = in.ConsumeIntegralInRange<int32_t>(0, tree.num_features - 1);
    switch (in.ConsumeIntegralInRange<int>(0, 3)) {
      case 0:  // stays a leaf
        break;
      case 1: {  // one split, both children open
        auto [left, right] = Split(tree, i, feature, DecodeThreshold(in));
        open.push_back(right);
        open.push_back(left);
        break;
      }
      case 2: {  // a complete subtree: many leaves, long jumps
        const int depth = in.ConsumeIntegralInRange<int>(1, 13);
        const int64_t threshold = DecodeThreshold(in);
        std::vector<int32_t> level = {i};
        for (int d = 0; d < depth; ++d) {
          std::vector<int32_t> next;
          for (int32_t n : level) {
            auto [left, right] = Split(tree, n, (feature + d) % tree.num_features, threshold);
            next.push_back(left);
            next.push_back(right);
          }
          level = std::move(next);
        }
        break;
      }
      case 3: {  // a chain down the left: depth limits
        const int length = in.ConsumeIntegralInRange<int>(1, o2c::bpf::kMaxTreeDepth + 2);
        int32_t n = i;
        for (int k = 0; k < length; ++k) n = Split(tree, n, feature, k).first;
        break;
      }
    }
  }
  // Labels and dense leaf ids in preorder.
  int32_t leaf_id = 0;
  std::vector<int32_t> stack = {0};
  while (!stack.empty()) {
    TreeNode& node = tree.nodes[stack.back()];
    stack.pop_back();
    if (node.is_leaf()) {
      node.leaf_id = leaf_id++;
      node.label = leaf_id % tree.num_classes;
      continue;
    }
    stack.push_back(node.right);
    stack.push_back(node.left);
  }
  return tree;
}

// What a model file could hold instead: one field of one node changed.
void MaybeCorrupt(FuzzedDataProvider& in, DecisionTree& tree) {
  const int what = in.ConsumeIntegralInRange<int>(0, 12);
  if (what > 6) return;  // most trees stay valid
  TreeNode& node =
      tree.nodes[in.ConsumeIntegralInRange<size_t>(0, tree.nodes.size() - 1)];
  const int32_t value = in.ConsumeIntegral<int32_t>();
  switch (what) {
    case 0: node.left = value; break;
    case 1: node.right = value; break;
    case 2: node.feature = value; break;
    case 3: node.label = value; break;
    case 4: node.leaf_id = value; break;
    case 5: tree.num_features = value; break;
    case 6: tree.num_classes = value; break;
  }
}

// Jumps land inside the program; loads read the features and stores write
// the verdict (or the forest's vote counters on the stack).
void CheckProgram(const std::vector<bpf_insn>& insns, const o2c::bpf::TreeFrame& frame,
                  const std::string& what) {
  const int64_t n = static_cast<int64_t>(insns.size());
  // Printed only for a failed check: disassembling every program is slow.
  auto listing = [&] { return absl::StrCat(what, "\n", o2c::bpf::Disassemble(insns)); };
  for (int64_t pc = 0; pc < n; ++pc) {
    const bpf_insn& i = insns[pc];
    const uint8_t cls = BPF_CLASS(i.code);
    if (i.code == (BPF_LD | BPF_DW | BPF_IMM)) {
      ++pc;
      continue;
    }
    if ((cls == BPF_JMP || cls == BPF_JMP32) && BPF_OP(i.code) != BPF_EXIT &&
        BPF_OP(i.code) != BPF_CALL) {
      const int64_t offset = (cls == BPF_JMP32 && BPF_OP(i.code) == BPF_JA) ? i.imm : i.off;
      const int64_t target = pc + 1 + offset;
      O2C_FUZZ_CHECK(target >= 0 && target < n, absl::StrCat("jump at ", pc, "\n", listing()));
    }
    if (i.src_reg == frame.base && cls == BPF_LDX) {
      const int64_t first = frame.features_offset;
      const int64_t end = first + 8 * int64_t{O2C_MAX_FEATURES};
      O2C_FUZZ_CHECK(i.off >= first && i.off < end, absl::StrCat("load at ", pc, "\n", listing()));
    }
    if (i.dst_reg == frame.base && (cls == BPF_ST || cls == BPF_STX)) {
      O2C_FUZZ_CHECK(i.off == frame.verdict_offset || i.off == frame.verdict_offset + 4,
                     absl::StrCat("store at ", pc, "\n", listing()));
    }
  }
}

void CheckRefusal(const absl::Status& status, const std::string& what) {
  O2C_FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument ||
                     status.code() == absl::StatusCode::kOutOfRange,
                 absl::StrCat(what, ": ", status.ToString()));
  O2C_FUZZ_CHECK(!status.message().empty(), what);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  constexpr o2c::bpf::insn::Reg kBases[] = {o2c::bpf::insn::R1, o2c::bpf::insn::R2,
                                            o2c::bpf::insn::R6, o2c::bpf::insn::R9,
                                            o2c::bpf::insn::R3, o2c::bpf::insn::R10};
  o2c::bpf::TreeFrame frame;
  frame.base = kBases[in.ConsumeIntegralInRange<size_t>(0, std::size(kBases) - 1)];
  frame.features_offset = in.ConsumeIntegral<int16_t>();
  frame.verdict_offset = in.ConsumeIntegral<int16_t>();
  frame.imm_stores = in.ConsumeBool();
  o2c::bpf::CodegenOptions options;
  options.long_jumps = in.ConsumeBool();
  const int forest_size = in.ConsumeIntegralInRange<int>(0, 3);  // 0: a single tree

  std::vector<DecisionTree> trees;
  for (int t = 0; t < std::max(forest_size, 1); ++t) {
    trees.push_back(DecodeTree(in));
    MaybeCorrupt(in, trees.back());
  }

  o2c::bpf::Emitter e("fuzz");
  if (forest_size == 0) {
    o2c::bpf::EmitTree(trees[0], frame, options, e);
  } else {
    o2c::bpf::EmitForest(trees, frame, options, e);
  }
  absl::StatusOr<o2c::bpf::EmittedProgram> program = e.Finish();
  if (!program.ok()) {
    CheckRefusal(program.status(), "refused");
    return 0;
  }
  for (const DecisionTree& tree : trees) {
    O2C_FUZZ_CHECK(o2c::ml::ValidateTree(tree).ok(), "compiled an invalid tree");
  }
  if (forest_size == 0) {
    absl::StatusOr<o2c::bpf::TreeLayout> layout = o2c::bpf::LayOutTree(
        trees[0], {.leaf_insns = frame.imm_stores ? 3 : 4, .long_jumps = options.long_jumps});
    O2C_FUZZ_CHECK(layout.ok(), layout.status().ToString());
    O2C_FUZZ_CHECK(static_cast<int64_t>(program->insns.size()) == layout->size,
                   absl::StrCat(program->insns.size(), " instructions, layout says ",
                                layout->size));
    CheckProgram(program->insns, frame, "tree");
  } else {
    // Vote counters live on the stack (r10), the verdict at the frame.
    CheckProgram(program->insns, frame, "forest");
  }
  return 0;
}
