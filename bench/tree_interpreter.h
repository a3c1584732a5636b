// TreeInterpreter: the map-walking baseline (tree_interpreter.bpf.c), the
// way the paper's prototype runs its trees: nodes as int64 arrays in BPF
// maps, walked by a bounded loop. Loaded as an XDP program run with
// RunPacketAudition (tree_program.h), the same packet as the compiled
// packet form, so both are timed alike.
#ifndef BENCH_TREE_INTERPRETER_H_
#define BENCH_TREE_INTERPRETER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "o2c/bpf/loader/program_loader.h"
#include "o2c/ml/decision_tree.h"

namespace o2c::bpf {

class TreeInterpreter {
 public:
  // Loads the interpreter and stores `model` (one tree or a forest; ties of
  // the vote go to the lower label) in its maps. Refuses models beyond the
  // limits of tree_interpreter_maps.h, naming the limit.
  static absl::StatusOr<std::unique_ptr<TreeInterpreter>> Load(
      absl::Span<const ml::DecisionTree> model, LoadStats* stats = nullptr);
  ~TreeInterpreter();

  // The XDP program's fd.
  int prog_fd() const;

 private:
  struct State;
  explicit TreeInterpreter(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace o2c::bpf

#endif  // BENCH_TREE_INTERPRETER_H_
