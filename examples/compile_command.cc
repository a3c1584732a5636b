// o2c compile: compiles an audition model (or a random tree, to try sizes)
// into the BPF program that runs it, loads it into the kernel, and prints
// its instruction count, what the verifier reported and, with --dump, the
// program as `bpftool prog dump xlated` would show it.
//
//   o2c compile --model pipe.o2cm [--dump]
//   o2c compile --random-depth 12 [--random-nodes N] [--trees K] [--seed S] [--dump]
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "examples/cli_args.h"
#include "examples/commands.h"
#include "o2c/audition_model.h"
#include "o2c/bpf/codegen/disassembler.h"
#include "o2c/bpf/codegen/tree_codegen_layout.h"
#include "o2c/bpf/codegen/random_trees.h"
#include "o2c/bpf/codegen/tree_program.h"

namespace o2c::cli {

const CommandHelp kCompileHelp = {
    .name = "compile",
    .summary = "compile a model to BPF, load it, show verifier stats",
    .description = "Compiles an audition model (or random trees, to try sizes) to the BPF program "
               "that runs it, loads it, and prints its size and the verifier's report. Give "
               "--model or --random-depth.",
    .flags = {{"model", "FILE", "the model file (.o2cm)"},
              {"random-depth", "D", "compile random trees of this depth instead"},
              {"random-nodes", "N", "nodes of each random tree (default: a full tree)"},
              {"trees", "K", "how many random trees (default 1)"},
              {"seed", "S", "seed of the random trees (default 1)"},
              {"check", "N", "compare N random samples with the host's Predict (default 1000)"},
              {"dump", "", "print the program as `bpftool prog dump xlated` would"}},
    .example = "sudo o2c compile --model testdata/prepare/pipe.o2cm --dump",
};
namespace {

}  // namespace

int CompileCommand(int argc, char** argv) {
  Args args(argc, argv, kCompileHelp);
  std::optional<std::string> model_path = args.Get("model");
  auto depth = args.GetInt("random-depth", 0);
  auto nodes = args.GetInt("random-nodes", 0);
  auto trees = args.GetInt("trees", 1);
  auto seed = args.GetInt("seed", 1);
  auto samples = args.GetInt("check", 1000);
  bool dump = args.Has("dump");
  for (const auto* v : {&depth, &nodes, &trees, &seed, &samples}) {
    if (!v->ok()) return ReportFailure("compile", v->status());
  }
  if (absl::Status s = args.Finish(); !s.ok()) return ReportFailure("compile", s);
  if (model_path.has_value() == (*depth > 0 || *nodes > 0)) {
    std::fputs(FormatHelp(kCompileHelp).c_str(), stderr);
    return 2;
  }

  std::vector<ml::DecisionTree> model;
  if (model_path.has_value()) {
    auto loaded = AuditionModel::Load(*model_path);
    if (!loaded.ok()) return ReportFailure("compile", loaded.status());
    model.push_back(loaded->tree());
  } else {
    std::mt19937_64 rng(*seed);
    int32_t d = *depth > 0 ? static_cast<int32_t>(*depth) : 64;
    int32_t n = *nodes > 0 ? static_cast<int32_t>(*nodes) : (2 << d) - 1;
    for (long long k = 0; k < *trees; ++k) {
      model.push_back(bpf::RandomTree({.nodes = n, .max_depth = d, .num_features = 32}, rng));
    }
  }

  bpf::CodegenOptions options{.long_jumps = bpf::KernelHasLongJumps()};
  int64_t node_count = 0;
  int32_t max_depth = 0, far = 0;
  for (const ml::DecisionTree& t : model) {
    auto layout = bpf::LayOutTree(t, {.long_jumps = options.long_jumps});
    if (!layout.ok()) return ReportFailure("compile", layout.status());
    node_count += t.nodes.size();
    max_depth = std::max(max_depth, layout->depth);
    far += layout->far_jumps;
  }
  auto program = bpf::CompileAudition(model, bpf::AuditionForm::kSyscall, options, "o2c_audition");
  if (!program.ok()) return ReportFailure("compile", program.status());
  bpf::LoadStats stats;
  auto fd = bpf::LoadAudition(*program, bpf::AuditionForm::kSyscall, {}, "", &stats);
  if (!fd.ok()) return ReportFailure("compile", fd.status());

  std::printf("model:         %zu tree(s), %lld nodes, depth %d\n", model.size(),
              static_cast<long long>(node_count), max_depth);
  std::printf("program:       %zu instructions (%.2f per node), %d gotol trampolines%s\n",
              program->insns.size(), static_cast<double>(program->insns.size()) / node_count, far,
              options.long_jumps ? "" : " (kernel has no gotol)");
  std::printf("verifier:      accepted, %u instructions processed, load %.2f ms\n",
              stats.verified_insns, stats.load_seconds * 1e3);
  if (model.size() == 1 && *samples > 0) {
    std::mt19937_64 rng(*seed + 1);
    for (long long s = 0; s < *samples; ++s) {
      std::vector<int64_t> x = bpf::RandomSample(model[0], rng);
      auto v = bpf::RunSyscallAudition(fd->get(), x);
      if (!v.ok()) return ReportFailure("compile", v.status());
      ml::TreePrediction host = model[0].Predict(x);
      if (v->label != host.label || v->leaf_id != host.leaf_id) {
        std::fprintf(stderr, "o2c compile: sample %lld: kernel (%d, %d) != host (%d, %d)\n", s,
                     v->label, v->leaf_id, host.label, host.leaf_id);
        return 1;
      }
    }
    std::printf("check:         %lld random samples, kernel verdicts equal the host's\n",
                *samples);
  }
  if (dump) std::fputs(bpf::Disassemble(program->insns).c_str(), stdout);
  return 0;
}

}  // namespace o2c::cli
