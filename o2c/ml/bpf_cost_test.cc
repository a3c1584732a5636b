#include "o2c/ml/bpf_cost.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "o2c/testonly/test_trees.h"

namespace o2c::ml {
namespace {

using ::testing::HasSubstr;

TEST(BpfCostTest, TreeByHand) {
  // 6 prologue + 3 compares x 2 + 4 leaves x 2; worst path: 3 compares + a leaf.
  BpfCost c = TreeBpfCost(testing::AuditionTree());
  EXPECT_EQ(c.instructions, 20);
  EXPECT_EQ(c.worst_executed, 14);
  EXPECT_EQ(c.maps, 1);
  EXPECT_FALSE(c.needs_floating_point);
  EXPECT_FALSE(c.needs_unbounded_loop);
}

TEST(BpfCostTest, WideThresholdsNeedLdImm64) {
  DecisionTree t = testing::AuditionTree();
  t.nodes[0].threshold = int64_t{1} << 40;
  EXPECT_EQ(TreeBpfCost(t).instructions, 22);
}

TEST(BpfCostTest, ForestAddsTreesAndTheVote) {
  RandomForest f;
  f.trees = {testing::AuditionTree(), testing::AuditionTree()};
  BpfCost c = ForestBpfCost(f);
  EXPECT_EQ(c.instructions, 6 + 14 + 14 + 4);
  EXPECT_EQ(c.worst_executed, 6 + 8 + 8 + 4);
}

TEST(BpfCostTest, LogisticAndKnn) {
  EXPECT_TRUE(LogisticBpfCost(32, false).needs_floating_point);
  BpfCost fixed = LogisticBpfCost(32, true);
  EXPECT_FALSE(fixed.needs_floating_point);
  EXPECT_EQ(fixed.instructions, 6 + 160 + 4);
  BpfCost knn = KnnBpfCost(1000, 4);
  EXPECT_TRUE(knn.needs_unbounded_loop);
  EXPECT_EQ(knn.worst_executed, 1000 * 28);
  EXPECT_THAT(FormatBpfCost(knn), HasSubstr("UNBOUNDED LOOP"));
  EXPECT_THAT(FormatBpfCost(fixed), HasSubstr("170 insns (worst path 170), 1 map, no FP, bounded"));
}

}  // namespace
}  // namespace o2c::ml
