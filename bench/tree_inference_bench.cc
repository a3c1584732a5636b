// tree_inference_bench: compiled decision trees (tree_program.h, packet
// form) vs the paper prototype's map-walking interpreter
// (tree_interpreter.h) vs the host's DecisionTree::Predict, in one run.
//
// In-kernel time is the kernel's own measure from BPF_PROG_TEST_RUN with a
// large `repeat` (it times only the loop, not the syscall), averaged over a
// set of samples; each figure is the median of several interleaved rounds.
// The test-run loop itself costs time per repetition: an empty XDP program,
// timed in the same rounds, measures it, and the "net" columns subtract it.
// Each repetition runs the same packet, so branch predictors learn its
// path: these are warm-path figures.
//
//   bazel run -c opt //bench:tree_inference_bench
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "o2c/bpf/codegen/tree_codegen_layout.h"
#include "o2c/bpf/codegen/random_trees.h"
#include "bench/tree_interpreter.h"
#include "o2c/bpf/codegen/insn.h"
#include "o2c/bpf/codegen/tree_program.h"

namespace o2c::bpf {
namespace {

constexpr int kRounds = 5;
constexpr int kSamples = 32;
constexpr uint32_t kRepeat = 20000;

struct Case {
  std::string name;
  std::vector<ml::DecisionTree> model;
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Mean in-kernel ns per run of `fd` over the sample packets.
double KernelNs(int fd, const std::vector<std::vector<uint8_t>>& packets) {
  double total = 0;
  for (const auto& p : packets) {
    auto ns = RunPacketAudition(fd, p, kRepeat, nullptr);
    if (!ns.ok()) {
      std::fprintf(stderr, "%s\n", std::string(ns.status().message()).c_str());
      std::exit(1);
    }
    total += *ns;
  }
  return total / packets.size();
}

// Mean host ns per model prediction (every tree walked, votes counted).
double HostNs(const std::vector<ml::DecisionTree>& model,
              const std::vector<std::vector<int64_t>>& samples) {
  constexpr int kLoops = 2000;
  int64_t sink = 0;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kLoops; ++i) {
    for (const auto& x : samples) {
      for (const ml::DecisionTree& t : model) sink += t.Predict(x).label;
    }
  }
  double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start)
                  .count();
  if (sink == -1) std::puts("");
  return ns / (kLoops * samples.size());
}

int Run() {
  std::mt19937_64 rng(2401056);
  std::vector<Case> cases;
  for (int depth : {4, 8, 12, 16}) {
    cases.push_back({"depth " + std::to_string(depth),
                     {RandomTree({.nodes = (2 << depth) - 1, .max_depth = depth,
                                  .num_features = 32}, rng)}});
  }
  cases.push_back({"20,000 nodes",
                   {RandomTree({.nodes = 20001, .max_depth = 48, .num_features = 32}, rng)}});
  Case forest{"forest 10 x d8", {}};
  for (int k = 0; k < 10; ++k) {
    forest.model.push_back(RandomTree({.nodes = 511, .max_depth = 8, .num_features = 32}, rng));
  }
  cases.push_back(forest);

  CodegenOptions options{.long_jumps = KernelHasLongJumps()};
  std::printf("gotol (32-bit jumps) on this kernel: %s\n", options.long_jumps ? "yes" : "no");
  std::printf("%d rounds x %d samples x repeat %u; medians of rounds\n\n", kRounds, kSamples,
              kRepeat);
  // The harness's own cost per repetition: an empty XDP program.
  RawProgram empty{.name = "o2c_bench_empty", .type = BPF_PROG_TYPE_XDP,
                   .insns = {insn::Mov64Imm(insn::R0, XDP_PASS), insn::Exit()}};
  auto empty_fd = LoadRawProgram(empty);
  if (!empty_fd.ok()) {
    std::fprintf(stderr, "%s\n", std::string(empty_fd.status().message()).c_str());
    return 1;
  }
  std::printf("%-15s %6s %5s %6s %6s %8s %8s %8s %8s %7s %7s %7s %7s %8s\n", "model", "nodes",
              "depth", "insns", "ins/nd", "verified", "verif_ms", "compiled", "interp", "empty",
              "cmp_net", "int_net", "host", "int/cmp");
  for (const Case& c : cases) {
    int64_t nodes = 0;
    int32_t depth = 0;
    for (const ml::DecisionTree& t : c.model) {
      nodes += t.nodes.size();
      depth = std::max(depth, LayOutTree(t, {.long_jumps = true})->depth);
    }
    auto program = CompileAudition(c.model, AuditionForm::kPacket, options, "o2c_bench");
    if (!program.ok()) {
      std::fprintf(stderr, "%s: %s\n", c.name.c_str(), std::string(program.status().message()).c_str());
      return 1;
    }
    LoadStats stats;
    auto fd = LoadAudition(*program, AuditionForm::kPacket, {}, "", &stats);
    LoadStats interp_stats;
    auto interpreter = TreeInterpreter::Load(c.model, &interp_stats);
    if (!fd.ok() || !interpreter.ok()) {
      std::fprintf(stderr, "%s: %s %s\n", c.name.c_str(),
                   std::string(fd.status().message()).c_str(),
                   std::string(interpreter.status().message()).c_str());
      return 1;
    }
    std::vector<std::vector<int64_t>> samples;
    std::vector<std::vector<uint8_t>> packets;
    for (int s = 0; s < kSamples; ++s) {
      samples.push_back(RandomSample(c.model[s % c.model.size()], rng));
      packets.push_back(AuditionPacket(samples.back()));
    }
    std::vector<double> compiled, interp, base, host;
    for (int r = 0; r < kRounds; ++r) {
      compiled.push_back(KernelNs(fd->get(), packets));
      interp.push_back(KernelNs((*interpreter)->prog_fd(), packets));
      base.push_back(KernelNs(empty_fd->get(), packets));
      host.push_back(HostNs(c.model, samples));
    }
    double cm = Median(compiled), im = Median(interp), em = Median(base), hm = Median(host);
    double cn = std::max(cm - em, 0.1), in = std::max(im - em, 0.1);
    std::printf("%-15s %6lld %5d %6zu %6.2f %8u %8.2f %8.1f %8.1f %7.1f %7.1f %7.1f %7.1f %7.1fx\n",
                c.name.c_str(), static_cast<long long>(nodes), depth, program->insns.size(),
                static_cast<double>(program->insns.size()) / nodes, stats.verified_insns,
                stats.load_seconds * 1e3, cm, im, em, cn, in, hm, in / cn);
    if (&c == &cases.back()) {
      std::printf("\ninterpreter program: %u insns, %u verified, %.2f ms to verify (any model)\n",
                  interp_stats.insn_count, interp_stats.verified_insns,
                  interp_stats.load_seconds * 1e3);
    }
  }
  std::printf(
      "\ncompiled/interp/empty: ns per run in the kernel (BPF_PROG_TEST_RUN, XDP, repeat),\n"
      "empty = an empty XDP program (the harness); *_net = minus empty; int/cmp = int_net/cmp_net;\n"
      "host: DecisionTree::Predict (allocates its path vector); ins/nd: instructions per node;\n"
      "verified: instructions the verifier processed; verif_ms: BPF_PROG_LOAD wall time.\n");
  return 0;
}

}  // namespace
}  // namespace o2c::bpf

int main() { return o2c::bpf::Run(); }
