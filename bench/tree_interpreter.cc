#include "bench/tree_interpreter.h"

#include <bpf/bpf.h>

#include <chrono>
#include <vector>

#include "absl/strings/str_cat.h"
#include "o2c/bpf/codegen/tree_codegen_layout.h"
#include "bench/tree_interpreter.skel.h"
#include "bench/tree_interpreter_maps.h"
#include "o2c/internal/status_macros.h"

namespace o2c::bpf {
namespace {

// Writes `values` into the array map `map` from index 0.
absl::Status Fill(bpf_map* map, const std::vector<int64_t>& values) {
  std::vector<uint32_t> keys(values.size());
  for (uint32_t i = 0; i < keys.size(); ++i) keys[i] = i;
  uint32_t count = values.size();
  if (count == 0) return absl::OkStatus();
  int err = bpf_map_update_batch(bpf_map__fd(map), keys.data(), values.data(), &count, nullptr);
  if (err != 0) return LibbpfError(err, absl::StrCat("map '", bpf_map__name(map), "': fill"));
  return absl::OkStatus();
}

}  // namespace

struct TreeInterpreter::State {
  struct SkelDeleter {
    void operator()(tree_interpreter_bpf* skel) const { tree_interpreter_bpf__destroy(skel); }
  };
  std::unique_ptr<tree_interpreter_bpf, SkelDeleter> skel;
};

TreeInterpreter::TreeInterpreter(std::unique_ptr<State> state) : state_(std::move(state)) {}
TreeInterpreter::~TreeInterpreter() = default;

int TreeInterpreter::prog_fd() const {
  return bpf_program__fd(state_->skel->progs.o2c_tree_interpret);
}

absl::StatusOr<std::unique_ptr<TreeInterpreter>> TreeInterpreter::Load(
    absl::Span<const ml::DecisionTree> model, LoadStats* stats) {
  if (model.empty() || model.size() > O2C_INTERP_MAX_TREES) {
    return absl::InvalidArgumentError(absl::StrCat("tree_interpreter: ", model.size(),
                                                   " trees; want 1 to ", O2C_INTERP_MAX_TREES));
  }
  std::vector<int64_t> left, right, feature, threshold, value, leaf_id, roots;
  for (size_t k = 0; k < model.size(); ++k) {
    const ml::DecisionTree& t = model[k];
    O2C_ASSIGN_OR_RETURN(TreeLayout layout, LayOutTree(t, {.long_jumps = true}));
    if (layout.depth > O2C_INTERP_MAX_DEPTH) {
      return absl::OutOfRangeError(absl::StrCat("tree_interpreter: tree ", k, " has depth ",
                                                layout.depth, "; the loop walks at most ",
                                                O2C_INTERP_MAX_DEPTH));
    }
    int64_t base = left.size();
    roots.push_back(base);
    for (const ml::TreeNode& n : t.nodes) {
      if (!n.is_leaf() || n.label < O2C_INTERP_MAX_CLASSES) continue;
      return absl::OutOfRangeError(absl::StrCat("tree_interpreter: tree ", k, ": label ",
                                                n.label, " >= ", O2C_INTERP_MAX_CLASSES));
    }
    for (const ml::TreeNode& n : t.nodes) {
      left.push_back(n.is_leaf() ? -1 : base + n.left);
      right.push_back(n.is_leaf() ? -1 : base + n.right);
      feature.push_back(n.feature < 0 ? -1 : n.feature);
      threshold.push_back(n.threshold);
      value.push_back(n.label);
      leaf_id.push_back(n.leaf_id);
    }
  }
  if (left.size() > O2C_INTERP_MAX_NODES) {
    return absl::OutOfRangeError(absl::StrCat("tree_interpreter: ", left.size(),
                                              " nodes; at most ", O2C_INTERP_MAX_NODES));
  }
  while (roots.size() < O2C_INTERP_MAX_TREES) roots.push_back(-1);

  auto state = std::make_unique<State>();
  state->skel.reset(tree_interpreter_bpf__open());
  if (!state->skel) return LibbpfError(-errno, "tree_interpreter: open");
  auto start = std::chrono::steady_clock::now();
  O2C_RETURN_IF_ERROR(LoadSkeleton("tree_interpreter: load", [&] {
    return tree_interpreter_bpf__load(state->skel.get());
  }));
  if (stats != nullptr) {
    stats->load_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    bpf_prog_info info = {};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(bpf_program__fd(state->skel->progs.o2c_tree_interpret), &info,
                               &len) == 0) {
      stats->insn_count = info.xlated_prog_len / sizeof(bpf_insn);
      stats->verified_insns = info.verified_insns;
    }
  }
  auto& maps = state->skel->maps;
  O2C_RETURN_IF_ERROR(Fill(maps.children_left, left));
  O2C_RETURN_IF_ERROR(Fill(maps.children_right, right));
  O2C_RETURN_IF_ERROR(Fill(maps.feature, feature));
  O2C_RETURN_IF_ERROR(Fill(maps.threshold, threshold));
  O2C_RETURN_IF_ERROR(Fill(maps.value, value));
  O2C_RETURN_IF_ERROR(Fill(maps.leaf_id, leaf_id));
  O2C_RETURN_IF_ERROR(Fill(maps.roots, roots));
  return std::unique_ptr<TreeInterpreter>(new TreeInterpreter(std::move(state)));
}

}  // namespace o2c::bpf
