// Unit tier: sizes, child order and refusals of the tree layout.
#include "o2c/bpf/codegen/tree_codegen_layout.h"

#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "o2c/bpf/codegen/random_trees.h"
#include "testing/status_matchers.h"

namespace o2c::bpf {
namespace {

using ::o2c::testing::IsOkAndHolds;
using ::o2c::testing::StatusIs;
using ::testing::Field;
using ::testing::Gt;
using ::testing::HasSubstr;

ml::TreeNode Leaf(int32_t label, int32_t id) {
  ml::TreeNode n;
  n.label = label;
  n.leaf_id = id;
  return n;
}

ml::TreeNode Split(int32_t feature, int64_t threshold, int32_t left, int32_t right) {
  ml::TreeNode n;
  n.feature = feature;
  n.threshold = threshold;
  n.left = left;
  n.right = right;
  return n;
}

TEST(TreeLayoutTest, SizesOrderAndReusedLoads) {
  // 0: x0 <= 5 ? 1 : 2;  2: x0 <= INT64_MAX ? 3 : 4 (same feature: no reload,
  // wide threshold); 1, 3, 4 leaves.
  ml::DecisionTree t;
  t.num_features = 1;
  t.nodes = {Split(0, 5, 1, 2), Leaf(0, 0), Split(0, INT64_MAX, 3, 4), Leaf(1, 1), Leaf(0, 2)};
  auto layout = LayOutTree(t, {.leaf_insns = 3});
  ASSERT_TRUE(layout.ok()) << layout.status();
  EXPECT_EQ(layout->nodes[2].size, 0 + 3 + 3 + 3);  // no load, ld_imm64 + jsle reg
  EXPECT_FALSE(layout->nodes[2].load);
  EXPECT_TRUE(layout->nodes[2].wide_threshold);
  EXPECT_EQ(layout->nodes[0].size, 1 + 1 + 3 + 9);
  EXPECT_TRUE(layout->nodes[0].left_first);  // the smaller child falls through
  EXPECT_EQ(layout->size, 14);
  EXPECT_EQ(layout->depth, 2);
  EXPECT_EQ(layout->leaves, 3);
  EXPECT_EQ(layout->preorder, (std::vector<int32_t>{0, 1, 2, 3, 4}));
}

TEST(TreeLayoutTest, SmallerSubtreeFirstKeepsTwentyThousandNodesInShortJumps) {
  std::mt19937_64 rng(7);
  ml::DecisionTree t = RandomTree({.nodes = 20001, .max_depth = 64}, rng);
  auto layout = LayOutTree(t, {.leaf_insns = 3, .long_jumps = false});
  ASSERT_TRUE(layout.ok()) << layout.status();
  EXPECT_EQ(layout->far_jumps, 0);
  EXPECT_LE(layout->size, 3 * 20001);
}

TEST(TreeLayoutTest, HugeBalancedTreesNeedGotol) {
  std::mt19937_64 rng(7);
  ml::DecisionTree t = RandomTree({.nodes = (1 << 16) - 1, .max_depth = 15}, rng);
  EXPECT_THAT(LayOutTree(t, {.leaf_insns = 3, .long_jumps = false}),
              StatusIs(absl::StatusCode::kOutOfRange,
                       HasSubstr("both subtrees exceed the 16-bit jump range")));
  EXPECT_THAT(LayOutTree(t, {.leaf_insns = 3, .long_jumps = true}),
              IsOkAndHolds(Field(&TreeLayout::far_jumps, Gt(0))));
}

TEST(TreeLayoutTest, RefusalsNameTheNode) {
  ml::DecisionTree t;
  t.num_features = 2;
  t.nodes = {Split(0, 1, 1, 1), Leaf(0, 0)};
  EXPECT_THAT(LayOutTree(t, {}), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("node 0: child 1 is reached twice")));
  t.nodes = {Split(0, 1, 1, 7), Leaf(0, 0)};
  EXPECT_THAT(LayOutTree(t, {}), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("node 0: child 7 outside [1, 2)")));
  t.nodes = {Split(5, 1, 1, 2), Leaf(0, 0), Leaf(1, 1)};
  EXPECT_THAT(LayOutTree(t, {}), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("node 0: feature 5 outside [0, 2)")));
  t.num_features = 2000;
  t.nodes = {Split(1500, 1, 1, 2), Leaf(0, 0), Leaf(1, 1)};
  EXPECT_THAT(LayOutTree(t, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("node 0: feature 1500 outside [0, 1024) (O2C_MAX_FEATURES")));
  t.num_features = 2;
  t.nodes = {Split(0, 1, 1, 2), Leaf(-3, 0), Leaf(1, 1)};
  EXPECT_THAT(LayOutTree(t, {}), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("node 1: label -3 outside [0, 2)")));
  t.nodes.clear();
  EXPECT_THAT(LayOutTree(t, {}), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("tree has no nodes")));
}

TEST(TreeLayoutTest, RefusesTreesDeeperThanTheVerifierFollows) {
  ml::DecisionTree t;
  t.num_features = 1;
  // A right-leaning chain deeper than kMaxTreeDepth: split i has its leaf
  // next to it and the next split after that.
  int32_t n = kMaxTreeDepth + 1;
  for (int32_t i = 0; i < n; ++i) {
    int32_t split = static_cast<int32_t>(t.nodes.size());
    t.nodes.push_back(Split(0, i, split + 1, split + 2));
    t.nodes.push_back(Leaf(0, i));
  }
  t.nodes.push_back(Leaf(1, n));
  EXPECT_THAT(LayOutTree(t, {}), StatusIs(absl::StatusCode::kOutOfRange,
                                          HasSubstr("deeper than 8192")));
}

}  // namespace
}  // namespace o2c::bpf
