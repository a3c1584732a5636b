#include "o2c/ml/prune.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "o2c/testonly/test_trees.h"
#include "o2c/ml/tree_check.h"
#include "testing/status_matchers.h"

namespace o2c::ml {
namespace {

using ::o2c::testing::IsOk;
using ::o2c::testing::StatusIs;
using ::testing::HasSubstr;

// Effective alphas of the example tree (gini, R = weighted impurity / 100):
// node 4: (16 - 0) / 1 / 100 = 0.16; node 1: (26.67 - 0) / 2 / 100 = 0.1333;
// node 0: 0.48 / 3 = 0.16. Node 1 is the weakest link.
TEST(PruneTest, CollapsesTheWeakestLinkFirst) {
  absl::StatusOr<DecisionTree> t =
      PruneCostComplexity(testing::AuditionTree(), Criterion::kGini, 0.14);
  ASSERT_THAT(t, IsOk());
  EXPECT_THAT(ValidateTree(*t), IsOk());
  ASSERT_EQ(t->nodes.size(), 3u);
  EXPECT_EQ(t->nodes[0].threshold, 192);
  EXPECT_EQ(t->nodes[1].label, 0);  // {40 own, 20 kernel}
  EXPECT_EQ(t->nodes[2].label, 1);
  EXPECT_EQ(t->nodes[1].leaf_id, 0);
  EXPECT_EQ(t->nodes[2].leaf_id, 1);
}

TEST(PruneTest, SmallAlphaKeepsEverythingLargeAlphaKeepsTheRoot) {
  absl::StatusOr<DecisionTree> kept = PruneCostComplexity(testing::AuditionTree(), Criterion::kGini, 0.1);
  ASSERT_THAT(kept, IsOk());
  EXPECT_EQ(kept->nodes.size(), 7u);
  absl::StatusOr<DecisionTree> root = PruneCostComplexity(testing::AuditionTree(), Criterion::kGini, 0.5);
  ASSERT_THAT(root, IsOk());
  EXPECT_EQ(root->nodes.size(), 1u);
  EXPECT_EQ(root->nodes[0].label, 1);
}

TEST(PruneTest, NeedsClassWeights) {
  DecisionTree t = testing::AuditionTree();
  t.nodes[3].class_weights.clear();
  EXPECT_THAT(PruneCostComplexity(t, Criterion::kGini, 0.1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("node 3 has no class weights")));
}

TEST(CompactTreeTest, DropsOrphansAndRenumbersInPreorder) {
  DecisionTree t = testing::AuditionTree();
  t.nodes[1].feature = -1;  // nodes 3..6 become orphans
  DecisionTree c = CompactTree(t);
  EXPECT_THAT(ValidateTree(c), IsOk());
  ASSERT_EQ(c.nodes.size(), 3u);
  EXPECT_EQ(c.nodes[0].left, 1);
  EXPECT_EQ(c.nodes[0].right, 2);
}

TEST(TreeCheckTest, FindsEachDefect) {
  DecisionTree t = testing::AuditionTree();
  EXPECT_THAT(ValidateTree(t), IsOk());
  t.nodes[4].right = 1;
  EXPECT_THAT(ValidateTree(t), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("node 4: child 1 is reached twice")));
  t = testing::AuditionTree();
  t.nodes[0].feature = 2;
  EXPECT_THAT(ValidateTree(t), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("node 0: feature 2 outside [0, 2)")));
  t = testing::AuditionTree();
  t.nodes[5].label = 2;
  EXPECT_THAT(ValidateTree(t), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("node 5: label 2 outside [0, 2)")));
  t = testing::AuditionTree();
  t.nodes[5].leaf_id = 0;
  EXPECT_THAT(ValidateTree(t), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("leaf id 0 used twice")));
  t = testing::AuditionTree();
  t.nodes[6].leaf_id = 7;
  EXPECT_THAT(ValidateTree(t), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("leaf ids are not dense")));
  t = testing::AuditionTree();
  t.nodes.push_back(t.nodes[6]);
  EXPECT_THAT(ValidateTree(t), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("node 7 is unreachable")));
  EXPECT_THAT(ValidateTree(DecisionTree()), StatusIs(absl::StatusCode::kInvalidArgument,
                                                     HasSubstr("tree has no nodes")));
}

}  // namespace
}  // namespace o2c::ml
