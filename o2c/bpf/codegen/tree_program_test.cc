// Kernel tier: the compiled tree decides exactly as DecisionTree::Predict on
// the host. Random trees (seeded) from depth 1 up to sizes beyond the
// paper's largest model, >= 10,000 random and edge-value samples each,
// through BPF_PROG_TEST_RUN; label and leaf id must both match.
#include "o2c/bpf/codegen/tree_program.h"

#include <bpf/bpf.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <limits>
#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "o2c/bpf/codegen/disassembler.h"
#include "o2c/bpf/codegen/emitter.h"
#include "o2c/bpf/codegen/random_trees.h"
#include "o2c/bpf/loader/program_loader.h"
#include "o2c/ml/random_forest.h"
#include "testing/kernel_test.h"
#include "testing/status_matchers.h"

namespace o2c::bpf {
namespace {

using ::o2c::testing::IsOk;
using ::o2c::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int kSamples = 10000;

// Inside the VM tier (qemu under TCG emulates every instruction) the
// verifier's time, quadratic in tree size, trips the soft-lockup watchdog on
// the largest trees: there they stop at depth 12 and 20,693 nodes.
bool InEmulatedVm() { return std::getenv("O2C_VM") != nullptr; }

// Loads `model` in the SYSCALL form and checks `samples` random samples.
void ExpectSameAsHost(absl::Span<const ml::DecisionTree> model, std::mt19937_64& rng,
                      int samples, const std::string& what) {
  CodegenOptions options{.long_jumps = KernelHasLongJumps()};
  auto program = CompileAudition(model, AuditionForm::kSyscall, options, "o2c_tree_test");
  ASSERT_TRUE(program.ok()) << what << ": " << program.status();
  LoadStats stats;
  auto fd = LoadAudition(*program, AuditionForm::kSyscall, {}, "", &stats);
  ASSERT_TRUE(fd.ok()) << what << ": " << fd.status();
  // Forests vote as the host's RandomForest does.
  ml::RandomForest forest{.trees = {model.begin(), model.end()}};
  for (const ml::DecisionTree& t : model) {
    forest.num_classes = std::max(forest.num_classes, t.num_classes);
  }
  int mismatches = 0;
  for (int s = 0; s < samples && mismatches < 5; ++s) {
    const ml::DecisionTree& first = model[s % model.size()];
    std::vector<int64_t> x = RandomSample(first, rng);
    for (const ml::DecisionTree& t : model) x.resize(std::max<size_t>(x.size(), t.num_features));
    auto verdict = RunSyscallAudition(fd->get(), x);
    ASSERT_TRUE(verdict.ok()) << verdict.status();
    int32_t label, leaf;
    if (model.size() == 1) {
      ml::TreePrediction p = model[0].Predict(x);
      label = p.label;
      leaf = p.leaf_id;
    } else {
      label = forest.Predict(x);
      leaf = -1;
    }
    if (verdict->label != label || verdict->leaf_id != leaf) {
      ++mismatches;
      ADD_FAILURE() << what << ": sample " << s << ": kernel (" << verdict->label << ", "
                    << verdict->leaf_id << ") host (" << label << ", " << leaf << ")";
    }
  }
}

TEST(TreeProgramTest, RandomTreesFromDepthOneToSixteenDecideAsTheHost) {
  O2C_REQUIRE_KERNEL();
  std::mt19937_64 rng(20240111);
  for (int depth = 1; depth <= (InEmulatedVm() ? 12 : 16); ++depth) {
    ml::DecisionTree t = RandomTree(
        {.nodes = (2 << depth) - 1, .max_depth = depth, .num_features = 24, .num_classes = 3}, rng);
    ExpectSameAsHost({&t, 1}, rng, kSamples, absl::StrCat("complete tree of depth ", depth));
  }
}

TEST(TreeProgramTest, TreesOfTwentyThousandAndMoreNodesDecideAsTheHost) {
  O2C_REQUIRE_KERNEL();
  std::mt19937_64 rng(20693);
  // The largest tree the kernel loads has about 333k nodes (1M instructions),
  // but verification time grows quadratically with size: larger trees are
  // tried with `o2c compile --random-nodes`.
  for (int nodes : {20001, 20693, 100001}) {
    if (nodes > 20693 && InEmulatedVm()) break;
    ml::DecisionTree t =
        RandomTree({.nodes = nodes, .max_depth = 200, .num_features = 64, .num_classes = 2}, rng);
    ExpectSameAsHost({&t, 1}, rng, kSamples, absl::StrCat(nodes, "-node tree"));
  }
}

TEST(TreeProgramTest, EdgeThresholdsAndValues) {
  O2C_REQUIRE_KERNEL();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  const int64_t thresholds[] = {0, -1, 1, -42, kMax, kMin, kMax - 1, kMin + 1,
                                std::numeric_limits<int32_t>::max(),
                                std::numeric_limits<int32_t>::min(),
                                int64_t{std::numeric_limits<int32_t>::max()} + 1,
                                int64_t{std::numeric_limits<int32_t>::min()} - 1};
  std::mt19937_64 rng(1);
  for (int64_t t : thresholds) {
    ml::DecisionTree stump;
    stump.num_features = 1;
    stump.num_classes = 8;
    stump.nodes.resize(3);
    stump.nodes[0] = {.feature = 0, .threshold = t, .left = 1, .right = 2};
    stump.nodes[1] = {.label = 4, .leaf_id = 0};
    stump.nodes[2] = {.label = 7, .leaf_id = 1};
    auto program = CompileAudition({&stump, 1}, AuditionForm::kSyscall, {});
    ASSERT_TRUE(program.ok()) << program.status();
    auto fd = LoadAudition(*program, AuditionForm::kSyscall);
    ASSERT_TRUE(fd.ok()) << fd.status();
    for (int64_t x : {t, t == kMax ? t : t + 1, t == kMin ? t : t - 1, int64_t{0}, kMax, kMin,
                      int64_t{-1}}) {
      auto verdict = RunSyscallAudition(fd->get(), {x});
      ASSERT_TRUE(verdict.ok()) << verdict.status();
      EXPECT_EQ(verdict->label, x <= t ? 4 : 7) << "x=" << x << " t=" << t << "\n"
                                                << Disassemble(program->insns);
      EXPECT_EQ(verdict->leaf_id, x <= t ? 0 : 1);
    }
  }
}

TEST(TreeProgramTest, ForestOfTenVotesAsTheHost) {
  O2C_REQUIRE_KERNEL();
  std::mt19937_64 rng(10);
  std::vector<ml::DecisionTree> forest;
  for (int k = 0; k < 10; ++k) {
    forest.push_back(RandomTree(
        {.nodes = 255, .max_depth = 8, .num_features = 16, .num_classes = 3}, rng));
  }
  ExpectSameAsHost(forest, rng, kSamples, "forest of 10 depth-8 trees");
}

TEST(TreeProgramTest, LinearModelScoresAsTheHost) {
  O2C_REQUIRE_KERNEL();
  // 18 weights: small ones (32-bit immediates), large ones (64-bit loads),
  // zeros (features not read) and negatives; samples in a range where the
  // sum cannot overflow, as QuantizeLogistic guarantees.
  std::mt19937_64 rng(11);
  ml::FixedPointLogistic model;
  model.fraction_bits = 16;
  model.bias = -(int64_t{1} << 33);
  for (int i = 0; i < 18; ++i) {
    int64_t w = std::uniform_int_distribution<int64_t>(-(1 << 20), 1 << 20)(rng);
    if (i % 5 == 0) w = 0;
    if (i % 7 == 3) w *= int64_t{1} << 18;  // beyond 32 bits
    model.weights.push_back(w);
  }
  for (AuditionForm form : {AuditionForm::kSyscall, AuditionForm::kPacket}) {
    auto program = CompileLinearAudition(model, form);
    ASSERT_TRUE(program.ok()) << program.status();
    auto fd = LoadAudition(*program, form);
    ASSERT_TRUE(fd.ok()) << fd.status();
    if (form == AuditionForm::kPacket) continue;  // timed by bench/model_study
    int mismatches = 0, ones = 0;
    std::uniform_int_distribution<int64_t> value(-5000, 5000);
    for (int s = 0; s < kSamples && mismatches < 5; ++s) {
      std::vector<int64_t> x(18);
      for (int64_t& v : x) v = value(rng);
      auto verdict = RunSyscallAudition(fd->get(), x);
      ASSERT_TRUE(verdict.ok()) << verdict.status();
      int32_t want = model.Predict(x);
      ones += want;
      if (verdict->label != want || verdict->leaf_id != -1) {
        ++mismatches;
        ADD_FAILURE() << "sample " << s << ": kernel (" << verdict->label << ", "
                      << verdict->leaf_id << ") host (" << want << ", -1)";
      }
    }
    // Both classes occur, so the comparison means something.
    EXPECT_GT(ones, kSamples / 10);
    EXPECT_LT(ones, kSamples * 9 / 10);
  }
}

// The probe agrees with the verifier on another program: gotol over a store
// the branch before it never reaches loads exactly where the probe says
// gotol works, and then jumps.
TEST(TreeProgramTest, KernelHasLongJumpsAgreesWithTheVerifier) {
  O2C_REQUIRE_KERNEL();
  using namespace insn;  // NOLINT
  Emitter e("o2c_gotol_check");
  Label skipped = e.NewLabel();
  Label end = e.NewLabel();
  e.Emit(Mov64Imm(R0, 7));
  e.Emit(Mov64Imm(R2, 0));
  e.JumpImm(BPF_JNE, R2, 0, skipped);
  e.JaLong(end);
  e.Bind(skipped);
  e.Emit(Mov64Imm(R0, 1));
  e.Bind(end);
  e.Emit(Exit());
  auto program = e.Finish();
  ASSERT_THAT(program, IsOk());
  auto fd = LoadRawProgram(RawProgram{.name = "o2c_gotol_check",
                                      .type = BPF_PROG_TYPE_SOCKET_FILTER,
                                      .insns = program->insns});
  std::cout << "gotol: " << (KernelHasLongJumps() ? "yes" : "no") << "\n";
  ASSERT_EQ(fd.ok(), KernelHasLongJumps()) << fd.status();
  if (!fd.ok()) return;
  std::vector<uint8_t> packet(64);
  LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = packet.data(),
              .data_size_in = static_cast<uint32_t>(packet.size()));
  ASSERT_EQ(bpf_prog_test_run_opts(fd->get(), &run), 0) << std::strerror(errno);
  EXPECT_EQ(run.retval, 7u);
}

}  // namespace
}  // namespace o2c::bpf
