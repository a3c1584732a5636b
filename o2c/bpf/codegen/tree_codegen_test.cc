// Unit tier: the instructions a small tree and a small forest become.
// Whether they decide like the host is the kernel tier's job
// (tree_program_test.cc); here: shape, instruction counts, refusals.
#include "o2c/bpf/codegen/tree_codegen.h"

#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "o2c/bpf/codegen/disassembler.h"
#include "testing/status_matchers.h"

namespace o2c::bpf {
namespace {

using namespace insn;  // NOLINT
using ::o2c::testing::StatusIs;
using ::testing::HasSubstr;

ml::DecisionTree Stump(int32_t feature, int64_t threshold) {
  ml::DecisionTree t;
  t.num_features = 4;
  t.nodes.resize(3);
  t.nodes[0].feature = feature;
  t.nodes[0].threshold = threshold;
  t.nodes[0].left = 1;
  t.nodes[0].right = 2;
  t.nodes[1].label = 0;
  t.nodes[1].leaf_id = 0;
  t.nodes[2].label = 1;
  t.nodes[2].leaf_id = 1;
  return t;
}

std::string Compile(const ml::DecisionTree& t, int16_t verdict_offset = 8200) {
  Emitter e("t");
  EmitTree(t, {.base = R1, .features_offset = 0, .verdict_offset = verdict_offset}, {}, e);
  auto p = e.Finish();
  return p.ok() ? Disassemble(p->insns) : std::string(p.status().message());
}

TEST(TreeCodegenTest, StumpIsLoadCompareAndTwoLeaves) {
  EXPECT_EQ(Compile(Stump(2, 192)),
            "   0: (79) r3 = *(u64 *)(r1 +16)\n"
            "   1: (65) if r3 s> 0xc0 goto pc+3\n"
            "   2: (62) *(u32 *)(r1 +8200) = 0\n"
            "   3: (62) *(u32 *)(r1 +8204) = 0\n"
            "   4: (95) exit\n"
            "   5: (62) *(u32 *)(r1 +8200) = 1\n"
            "   6: (62) *(u32 *)(r1 +8204) = 1\n"
            "   7: (95) exit\n");
}

TEST(TreeCodegenTest, WideThresholdGoesThroughARegister) {
  EXPECT_EQ(Compile(Stump(0, -(int64_t{1} << 40)), 0),
            "   0: (79) r3 = *(u64 *)(r1 +0)\n"
            "   1: (18) r4 = 0xffffff0000000000\n"
            "   3: (6d) if r3 s> r4 goto pc+3\n"
            "   4: (62) *(u32 *)(r1 +0) = 0\n"
            "   5: (62) *(u32 *)(r1 +4) = 0\n"
            "   6: (95) exit\n"
            "   7: (62) *(u32 *)(r1 +0) = 1\n"
            "   8: (62) *(u32 *)(r1 +4) = 1\n"
            "   9: (95) exit\n");
}

TEST(TreeCodegenTest, WithoutImmediateStoresLeavesStoreOnePackedWord) {
  Emitter e("t");
  EmitTree(Stump(1, 0), {.base = R1, .verdict_offset = 8200, .imm_stores = false}, {}, e);
  auto p = e.Finish();
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(Disassemble(p->insns),
            "   0: (79) r3 = *(u64 *)(r1 +8)\n"
            "   1: (65) if r3 s> 0x0 goto pc+4\n"
            "   2: (18) r5 = 0x0\n"
            "   4: (7b) *(u64 *)(r1 +8200) = r5\n"
            "   5: (95) exit\n"
            "   6: (18) r5 = 0x100000001\n"
            "   8: (7b) *(u64 *)(r1 +8200) = r5\n"
            "   9: (95) exit\n");
}

TEST(TreeCodegenTest, ForestVotesThenTakesTheLowerLabelOnTies) {
  ml::DecisionTree trees[] = {Stump(0, 1), Stump(1, 2)};
  Emitter e("forest");
  EmitForest(trees, {.base = R1, .verdict_offset = 8200}, {}, e);
  auto p = e.Finish();
  ASSERT_TRUE(p.ok()) << p.status();
  std::string text = Disassemble(p->insns);
  EXPECT_THAT(text, HasSubstr("(7a) *(u64 *)(r10 -8) = 0"));
  EXPECT_THAT(text, HasSubstr("(7a) *(u64 *)(r10 -16) = 0"));
  // Replace the best count only when strictly greater.
  EXPECT_THAT(text, HasSubstr("(dd) if r3 s<= r4 goto pc+2"));
  EXPECT_THAT(text, HasSubstr("(62) *(u32 *)(r1 +8204) = -1"));
  // 2 counters + 2 trees of (2 + 2 leaves * 4) + argmax 2 + 4 + store 2 + exit.
  EXPECT_EQ(p->insns.size(), 2u + 2 * 10 + 2 + 4 + 3);
}

TEST(TreeCodegenTest, ErrorsReachFinish) {
  Emitter bad_base("t");
  EmitTree(Stump(0, 1), {.base = R3}, {}, bad_base);
  EXPECT_THAT(bad_base.Finish(), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("base register r3 is clobbered")));
  ml::DecisionTree t = Stump(9, 1);
  Emitter bad_feature("t");
  EmitTree(t, {}, {}, bad_feature);
  EXPECT_THAT(bad_feature.Finish(), StatusIs(absl::StatusCode::kInvalidArgument,
                                             HasSubstr("node 0: feature 9 outside [0, 4)")));
  Emitter empty("f");
  EmitForest({}, {}, {}, empty);
  EXPECT_THAT(empty.Finish(), StatusIs(absl::StatusCode::kInvalidArgument,
                                       HasSubstr("forest: no trees")));
}

TEST(TreeCodegenTest, OffsetsBeyondSixteenBitsAreRefusedNotWrapped) {
  // Feature 3 at 32760 + 24 would wrap to a negative offset.
  Emitter far_feature("t");
  EmitTree(Stump(3, 1), {.base = R1, .features_offset = 32760}, {}, far_feature);
  EXPECT_THAT(far_feature.Finish(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("tree: node 0: feature 3 is at offset 32784 from r1")));
  Emitter far_verdict("t");
  EmitTree(Stump(0, 1), {.base = R1, .verdict_offset = 32765}, {}, far_verdict);
  EXPECT_THAT(far_verdict.Finish(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("tree: the verdict at offset 32765 from r1 ends beyond")));
  ml::DecisionTree trees[] = {Stump(0, 1), Stump(3, 1)};
  Emitter far_forest("f");
  EmitForest(trees, {.base = R1, .features_offset = 32760}, {}, far_forest);
  EXPECT_THAT(far_forest.Finish(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("forest tree 1: node 0: feature 3 is at offset 32784")));
}

TEST(TreeCodegenTest, ForestCountsClassesWithoutOverflowOnTheLargestLabel) {
  ml::DecisionTree t = Stump(0, 1);
  t.nodes[2].label = std::numeric_limits<int32_t>::max();
  Emitter e("f");
  EmitForest({&t, 1}, {.base = R1}, {}, e);
  EXPECT_THAT(e.Finish(), StatusIs(absl::StatusCode::kInvalidArgument,
                                   HasSubstr("forest: 2147483648 classes; at most 64")));
}

}  // namespace
}  // namespace o2c::bpf
