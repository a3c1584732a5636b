#include "o2c/bpf/codegen/tree_codegen.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <vector>

#include "absl/strings/str_cat.h"

namespace o2c::bpf {
namespace {

using namespace insn;  // NOLINT

constexpr Reg kValue = R3;      // the feature being compared
constexpr Reg kThreshold = R4;  // a threshold outside int32

// Emits the nodes of one tree; `leaf` emits what a leaf does.
void EmitNodes(const ml::DecisionTree& tree, const TreeLayout& layout, const TreeFrame& frame,
               const std::function<void(const ml::TreeNode&)>& leaf, Emitter& e) {
  struct Pending {
    int32_t node;
    Label bind;  // bound right before the node (id -1: none)
  };
  std::vector<Pending> stack = {{0, Label{}}};
  while (!stack.empty() && e.ok()) {
    Pending p = stack.back();
    stack.pop_back();
    if (p.bind.id >= 0) e.Bind(p.bind);
    const ml::TreeNode& node = tree.nodes[p.node];
    if (node.is_leaf()) {
      leaf(node);
      continue;
    }
    const NodeLayout& l = layout.nodes[p.node];
    if (l.load) {
      e.Emit(LdxMem(BPF_DW, kValue, frame.base, frame.features_offset + 8 * node.feature));
    }
    // Left is taken when x <= t: jump right with s>, or left with s<=.
    uint8_t op = l.left_first ? BPF_JSGT : BPF_JSLE;
    Label second = e.NewLabel();
    Label jump_to = second;
    Label skip;
    if (l.far) {
      // Inverted short jump over one gotol to the far second child.
      op = l.left_first ? BPF_JSLE : BPF_JSGT;
      skip = e.NewLabel();
      jump_to = skip;
    }
    if (l.wide_threshold) {
      e.LdImm64(kThreshold, static_cast<uint64_t>(node.threshold));
      e.JumpReg(op, kValue, kThreshold, jump_to);
    } else {
      e.JumpImm(op, kValue, static_cast<int32_t>(node.threshold), jump_to);
    }
    if (l.far) {
      e.JaLong(second);
      e.Bind(skip);
    }
    int32_t first_child = l.left_first ? node.left : node.right;
    int32_t second_child = l.left_first ? node.right : node.left;
    stack.push_back({second_child, second});
    stack.push_back({first_child, Label{}});
  }
}

// BPF memory offsets are 16-bit: a frame whose feature loads or verdict
// stores would wrap around is refused, not compiled to accesses of other
// memory. `what` prefixes the error ("tree", "forest tree 2").
absl::Status CheckFrameOffsets(const ml::DecisionTree& tree, const TreeFrame& frame,
                               absl::string_view what) {
  constexpr int64_t kMaxOffset = std::numeric_limits<int16_t>::max();
  for (size_t i = 0; i < tree.nodes.size(); ++i) {
    const ml::TreeNode& node = tree.nodes[i];
    if (node.is_leaf()) continue;
    const int64_t offset = frame.features_offset + 8 * int64_t{node.feature};
    if (offset > kMaxOffset) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": node ", i, ": feature ", node.feature, " is at offset ", offset, " from r",
          frame.base, ", beyond the 16-bit offsets of BPF"));
    }
  }
  if (frame.verdict_offset + int64_t{4} > kMaxOffset) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": the verdict at offset ", frame.verdict_offset, " from r", frame.base,
        " ends beyond the 16-bit offsets of BPF"));
  }
  return absl::OkStatus();
}

// The tree code clobbers r3-r5; r10 is read-only.
bool UsableBase(Reg base) {
  return base == R1 || base == R2 || (base >= R6 && base <= R9);
}
}  // namespace

void EmitTree(const ml::DecisionTree& tree, const TreeFrame& frame,
              const CodegenOptions& options, Emitter& e) {
  if (!UsableBase(frame.base)) {
    e.Fail(absl::InvalidArgumentError(absl::StrCat("tree: base register r", frame.base,
                                                   " is clobbered or read-only")));
    return;
  }
  auto layout = LayOutTree(
      tree, {.leaf_insns = frame.imm_stores ? 3 : 4, .long_jumps = options.long_jumps});
  if (!layout.ok()) {
    e.Fail(layout.status());
    return;
  }
  if (absl::Status offsets = CheckFrameOffsets(tree, frame, "tree"); !offsets.ok()) {
    e.Fail(offsets);
    return;
  }
  EmitNodes(tree, *layout, frame, [&](const ml::TreeNode& leaf) {
    if (frame.imm_stores) {
      e.Emit(StMem(BPF_W, frame.base, frame.verdict_offset, leaf.label));
      e.Emit(StMem(BPF_W, frame.base, frame.verdict_offset + 4, leaf.leaf_id));
    } else {
      // struct o2c_verdict as one little-endian u64: label low, leaf id high.
      uint64_t packed = (uint64_t{static_cast<uint32_t>(leaf.leaf_id)} << 32) |
                        static_cast<uint32_t>(leaf.label);
      e.LdImm64(R5, packed);
      e.Emit(StxMem(BPF_DW, frame.base, R5, frame.verdict_offset));
    }
    e.Emit(Exit());
  }, e);
}

void EmitForest(absl::Span<const ml::DecisionTree> trees, const TreeFrame& frame,
                const CodegenOptions& options, Emitter& e) {
  if (!UsableBase(frame.base)) {
    e.Fail(absl::InvalidArgumentError(absl::StrCat("forest: base register r", frame.base,
                                                   " is clobbered or read-only")));
    return;
  }
  if (trees.empty()) {
    e.Fail(absl::InvalidArgumentError("forest: no trees"));
    return;
  }
  // 64-bit: the trees are not validated yet, a label may be INT32_MAX.
  int64_t classes = 1;
  for (const ml::DecisionTree& t : trees) {
    classes = std::max<int64_t>(classes, t.num_classes);
    for (const ml::TreeNode& n : t.nodes) {
      if (n.is_leaf()) classes = std::max(classes, int64_t{n.label} + 1);
    }
  }
  if (classes > kMaxForestClasses) {
    e.Fail(absl::InvalidArgumentError(absl::StrCat(
        "forest: ", classes, " classes; at most ", kMaxForestClasses, " (one stack counter each)")));
    return;
  }
  auto counter = [](int32_t label) { return static_cast<int16_t>(-8 * (label + 1)); };
  for (int32_t c = 0; c < classes; ++c) e.Emit(StMem(BPF_DW, R10, counter(c), 0));
  for (size_t k = 0; k < trees.size() && e.ok(); ++k) {
    auto layout = LayOutTree(trees[k], {.leaf_insns = 4, .long_jumps = options.long_jumps});
    if (!layout.ok()) {
      e.Fail(absl::Status(layout.status().code(),
                          absl::StrCat("forest tree ", k, ": ", layout.status().message())));
      return;
    }
    if (absl::Status offsets =
            CheckFrameOffsets(trees[k], frame, absl::StrCat("forest tree ", k));
        !offsets.ok()) {
      e.Fail(offsets);
      return;
    }
    // Leaves jump to the end of their tree: at most its size away.
    bool far = layout->size > 32767;
    if (far && !options.long_jumps) {
      e.Fail(absl::OutOfRangeError(absl::StrCat(
          "forest tree ", k, ": ", layout->size,
          " instructions; its leaves cannot reach its end without gotol")));
      return;
    }
    Label next = e.NewLabel();
    EmitNodes(trees[k], *layout, frame, [&](const ml::TreeNode& leaf) {
      e.Emit(LdxMem(BPF_DW, R3, R10, counter(leaf.label)));
      e.Emit(Alu64Imm(BPF_ADD, R3, 1));
      e.Emit(StxMem(BPF_DW, R10, R3, counter(leaf.label)));
      if (far) {
        e.JaLong(next);
      } else {
        e.Ja(next);
      }
    }, e);
    e.Bind(next);
  }
  // Majority with ties to the lower label: replace the best only on '>'.
  e.Emit(LdxMem(BPF_DW, R4, R10, counter(0)));
  e.Emit(Mov64Imm(R5, 0));
  for (int32_t c = 1; c < classes; ++c) {
    Label keep = e.NewLabel();
    e.Emit(LdxMem(BPF_DW, R3, R10, counter(c)));
    e.JumpReg(BPF_JSLE, R3, R4, keep);
    e.Emit(Mov64Reg(R4, R3));
    e.Emit(Mov64Imm(R5, c));
    e.Bind(keep);
  }
  EmitVerdictAndExit(R5, -1, R3, frame, e);
}

void EmitVerdictAndExit(Reg label, int32_t leaf_id, Reg scratch, const TreeFrame& frame,
                        Emitter& e) {
  e.Emit(StxMem(BPF_W, frame.base, label, frame.verdict_offset));
  if (frame.imm_stores) {
    e.Emit(StMem(BPF_W, frame.base, frame.verdict_offset + 4, leaf_id));
  } else {
    e.Emit(Mov64Imm(scratch, leaf_id));
    e.Emit(StxMem(BPF_W, frame.base, scratch, frame.verdict_offset + 4));
  }
  e.Emit(Exit());
}

}  // namespace o2c::bpf
