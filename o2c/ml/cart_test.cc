#include "o2c/ml/cart.h"

#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "o2c/ml/tree_check.h"
#include "testing/status_matchers.h"

namespace o2c::ml {
namespace {

using ::o2c::testing::IsOk;
using ::o2c::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A dataset from rows of features and their labels.
Dataset Make(const std::vector<std::vector<int64_t>>& rows, const std::vector<int32_t>& labels) {
  Dataset d;
  const int cols = rows.empty() ? 0 : static_cast<int>(rows[0].size());
  d.features.resize(static_cast<Eigen::Index>(rows.size()), cols);
  for (size_t r = 0; r < rows.size(); ++r) {
    for (int c = 0; c < cols; ++c) d.features(r, c) = rows[r][c];
  }
  d.labels = labels;
  for (int c = 0; c < cols; ++c) d.schema.features.push_back({"f" + std::to_string(c), "", {}});
  return d;
}

DecisionTree MustTrain(const Dataset& d, const CartOptions& o) {
  absl::StatusOr<DecisionTree> tree = TrainCart(d, o);
  EXPECT_THAT(tree, IsOk());
  EXPECT_THAT(ValidateTree(*tree), IsOk());
  return *tree;
}

TEST(CartTest, OneFeatureSplitsAtTheLastValueOfTheLeftClass) {
  Dataset d = Make({{1}, {2}, {3}, {4}, {5}, {6}}, {0, 0, 0, 1, 1, 1});
  DecisionTree t = MustTrain(d, CartOptions());
  ASSERT_EQ(t.nodes.size(), 3u);
  EXPECT_EQ(t.nodes[0].feature, 0);
  EXPECT_EQ(t.nodes[0].threshold, 3);  // x <= 3 goes left
  EXPECT_EQ(t.nodes[t.nodes[0].left].label, 0);
  EXPECT_EQ(t.nodes[t.nodes[0].right].label, 1);
  EXPECT_THAT(t.nodes[0].class_weights, ElementsAre(3, 3));
  EXPECT_EQ(t.nodes[t.nodes[0].left].leaf_id, 0);
  EXPECT_EQ(t.nodes[t.nodes[0].right].leaf_id, 1);
}

TEST(CartTest, PicksTheInformativeFeature) {
  // f0 is noise, f1 separates perfectly at 10.
  Dataset d = Make({{5, 10}, {1, 20}, {4, 10}, {2, 20}, {3, 10}, {6, 20}}, {0, 1, 0, 1, 0, 1});
  DecisionTree t = MustTrain(d, CartOptions());
  EXPECT_EQ(t.nodes[0].feature, 1);
  EXPECT_EQ(t.nodes[0].threshold, 10);
  EXPECT_EQ(t.nodes.size(), 3u);
}

TEST(CartTest, XorNeedsTwoLevelsWithExactThresholds) {
  Dataset d = Make({{0, 0}, {0, 1}, {1, 0}, {1, 1}, {0, 0}, {0, 1}, {1, 0}, {1, 1}},
                   {0, 1, 1, 0, 0, 1, 1, 0});
  DecisionTree t = MustTrain(d, CartOptions());
  // No first split gains anything; ties go to the lowest feature and threshold.
  EXPECT_EQ(t.nodes[0].feature, 0);
  EXPECT_EQ(t.nodes[0].threshold, 0);
  ASSERT_EQ(t.nodes.size(), 7u);
  for (int child : {t.nodes[0].left, t.nodes[0].right}) {
    EXPECT_EQ(t.nodes[child].feature, 1);
    EXPECT_EQ(t.nodes[child].threshold, 0);
  }
  for (int i = 0; i < d.num_rows(); ++i) EXPECT_EQ(t.Predict(d.Row(i)).label, d.labels[i]);
}

TEST(CartTest, ThresholdsFallBetweenDistinctValuesOnly) {
  Dataset d = Make({{-7}, {-7}, {2}, {2}, {9}}, {0, 1, 1, 1, 1});
  DecisionTree t = MustTrain(d, CartOptions());
  EXPECT_EQ(t.nodes[0].threshold, -7);
  EXPECT_EQ(t.Predict(std::vector<int64_t>{-7}).label, 0);  // tie 1:1 goes to the lower label
}

TEST(CartTest, MaxDepthZeroIsOneLeafWithTheMajority) {
  Dataset d = Make({{1}, {2}, {3}, {4}}, {1, 1, 1, 0});
  CartOptions o;
  o.max_depth = 0;
  DecisionTree t = MustTrain(d, o);
  ASSERT_EQ(t.nodes.size(), 1u);
  EXPECT_EQ(t.nodes[0].label, 1);
  EXPECT_EQ(t.nodes[0].leaf_id, 0);
}

TEST(CartTest, MinSamplesLeafMovesTheSplit) {
  Dataset d = Make({{1}, {2}, {3}, {4}, {5}, {6}}, {0, 1, 1, 1, 1, 1});
  CartOptions o;
  o.max_depth = 1;
  EXPECT_EQ(MustTrain(d, o).nodes[0].threshold, 1);
  o.min_samples_leaf = 2;
  // t=2: left {0,1} costs 2*0.5 = 1; t=3: left {0,1,1} costs 4/3.
  EXPECT_EQ(MustTrain(d, o).nodes[0].threshold, 2);
  o.min_samples_leaf = 4;
  EXPECT_EQ(MustTrain(d, o).nodes.size(), 1u);
}

TEST(CartTest, ClassWeightsFlipTheMajority) {
  Dataset d = Make({{1}, {2}, {3}, {4}}, {0, 0, 0, 1});
  CartOptions o;
  o.max_depth = 0;
  EXPECT_EQ(MustTrain(d, o).nodes[0].label, 0);
  o.class_weights = {1, 5};
  DecisionTree weighted = MustTrain(d, o);
  EXPECT_EQ(weighted.nodes[0].label, 1);
  EXPECT_THAT(weighted.nodes[0].class_weights, ElementsAre(3, 5));
  o.class_weights.clear();
  o.balanced_class_weights = true;  // 4/(2*3) and 4/(2*1)
  DecisionTree balanced = MustTrain(d, o);
  EXPECT_DOUBLE_EQ(balanced.nodes[0].class_weights[0], 2.0);
  EXPECT_DOUBLE_EQ(balanced.nodes[0].class_weights[1], 2.0);
  EXPECT_EQ(balanced.nodes[0].label, 0);  // a tie goes to the lower label
}

TEST(CartTest, RowWeightsOfZeroLeaveRowsOut) {
  Dataset d = Make({{1}, {2}, {3}, {4}}, {0, 1, 0, 1});
  absl::StatusOr<CartTrainer> trainer = CartTrainer::Create(d, 1);
  ASSERT_THAT(trainer, IsOk());
  std::vector<double> weights = {1, 0, 1, 1};
  absl::StatusOr<DecisionTree> t = trainer->Train(CartOptions(), weights);
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(t->nodes[0].threshold, 3);
  EXPECT_THAT(t->nodes[0].class_weights, ElementsAre(2, 1));
}

TEST(CartTest, EntropyCriterion) {
  Dataset d = Make({{1}, {2}, {3}, {4}, {5}, {6}}, {0, 0, 1, 1, 1, 1});
  CartOptions o;
  o.criterion = Criterion::kEntropy;
  DecisionTree t = MustTrain(d, o);
  EXPECT_EQ(t.nodes[0].threshold, 2);
  EXPECT_EQ(t.nodes.size(), 3u);
}

TEST(CartTest, MinImpurityDecreaseStopsWeakSplits) {
  // Root gini 0.375; the split gains all of it: 0.375 of the total weight.
  Dataset d = Make({{1}, {2}, {3}, {4}}, {0, 0, 0, 1});
  CartOptions o;
  o.min_impurity_decrease = 0.37;
  EXPECT_EQ(MustTrain(d, o).nodes.size(), 3u);
  o.min_impurity_decrease = 0.38;
  EXPECT_EQ(MustTrain(d, o).nodes.size(), 1u);
}

TEST(CartTest, CostComplexityPruningAtTheEffectiveAlpha) {
  // The split's effective alpha is (0.375 - 0) / (2 - 1) = 0.375.
  Dataset d = Make({{1}, {2}, {3}, {4}}, {0, 0, 0, 1});
  CartOptions o;
  o.ccp_alpha = 0.37;
  EXPECT_EQ(MustTrain(d, o).nodes.size(), 3u);
  o.ccp_alpha = 0.38;
  DecisionTree pruned = MustTrain(d, o);
  ASSERT_EQ(pruned.nodes.size(), 1u);
  EXPECT_EQ(pruned.nodes[0].label, 0);
}

Dataset RandomData(int rows, int cols, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Dataset d;
  d.features.resize(rows, cols);
  d.labels.resize(rows);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) d.features(r, c) = static_cast<int64_t>(rng() % 50);
    d.labels[r] = (d.features(r, 0) + d.features(r, 1) > 50) != (rng() % 10 == 0);
  }
  for (int c = 0; c < cols; ++c) d.schema.features.push_back({"f" + std::to_string(c), "", {}});
  return d;
}

bool SameTree(const DecisionTree& a, const DecisionTree& b) {
  if (a.nodes.size() != b.nodes.size()) return false;
  for (size_t i = 0; i < a.nodes.size(); ++i) {
    const TreeNode& x = a.nodes[i];
    const TreeNode& y = b.nodes[i];
    if (x.feature != y.feature || x.threshold != y.threshold || x.left != y.left ||
        x.right != y.right || x.label != y.label || x.leaf_id != y.leaf_id) {
      return false;
    }
  }
  return true;
}

TEST(CartTest, SameSeedSameTreeOnAnyNumberOfThreads) {
  Dataset d = RandomData(2000, 12, 7);
  CartOptions o;
  o.max_depth = 8;
  o.max_features = 4;
  o.seed = 42;
  o.num_threads = 1;
  DecisionTree one = MustTrain(d, o);
  o.num_threads = 3;
  DecisionTree three = MustTrain(d, o);
  EXPECT_TRUE(SameTree(one, three));
  EXPECT_TRUE(SameTree(one, MustTrain(d, o)));
  o.seed = 43;
  EXPECT_FALSE(SameTree(one, MustTrain(d, o)));
}

TEST(CartTest, FitsTrainingDataAndRespectsDepth) {
  Dataset d = RandomData(3000, 6, 3);
  CartOptions o;
  o.max_depth = 5;
  DecisionTree t = MustTrain(d, o);
  int correct = 0;
  for (int i = 0; i < d.num_rows(); ++i) {
    EXPECT_LE(t.Path(d.Row(i)).size(), 6u);
    correct += t.Predict(d.Row(i)).label == d.labels[i];
  }
  EXPECT_GT(correct, d.num_rows() * 8 / 10);
}

DecisionTree MustTrainWith(const Dataset& d, const CartOptions& o, int max_bins,
                           absl::Span<const double> row_weights = {}) {
  absl::StatusOr<CartTrainer> trainer = CartTrainer::Create(d, o.num_threads, max_bins);
  EXPECT_THAT(trainer, IsOk());
  absl::StatusOr<DecisionTree> tree = trainer->Train(o, row_weights);
  EXPECT_THAT(tree, IsOk());
  EXPECT_THAT(ValidateTree(*tree), IsOk());
  return *tree;
}

TEST(CartTest, HistogramSearchGrowsThePresortedTreeOnFewDistinctValues) {
  Dataset d = RandomData(3000, 8, 11);  // 50 distinct values per feature
  CartOptions o;
  o.max_depth = 10;
  o.num_threads = 2;
  const DecisionTree exact = MustTrainWith(d, o, /*max_bins=*/0);
  const DecisionTree binned = MustTrainWith(d, o, kDefaultMaxBins);
  ASSERT_GT(exact.nodes.size(), 50u);
  EXPECT_TRUE(SameTree(exact, binned));
  for (size_t i = 0; i < exact.nodes.size(); ++i) {
    EXPECT_EQ(exact.nodes[i].class_weights, binned.nodes[i].class_weights) << "node " << i;
  }
  o.min_samples_leaf = 7;
  o.criterion = Criterion::kEntropy;
  o.class_weights = {1, 3};
  std::vector<double> row_weights(d.num_rows());
  for (int i = 0; i < d.num_rows(); ++i) row_weights[i] = i % 3;  // bootstrap-like
  EXPECT_TRUE(SameTree(MustTrainWith(d, o, 0, row_weights), MustTrainWith(d, o, 256, row_weights)));
  o = CartOptions();
  o.max_depth = 6;
  o.max_features = 3;
  o.seed = 9;
  EXPECT_TRUE(SameTree(MustTrainWith(d, o, 0), MustTrainWith(d, o, 256)));
}

TEST(CartTest, HistogramThresholdsAreTrainingValuesWhenBinned) {
  Dataset d = RandomData(2000, 4, 5);
  for (int r = 0; r < d.num_rows(); ++r) d.features(r, 0) = d.features(r, 0) * 1000 + r % 7;
  CartOptions o;
  o.max_depth = 6;
  const DecisionTree t = MustTrainWith(d, o, /*max_bins=*/16);
  ASSERT_GT(t.nodes.size(), 3u);
  int correct = 0;
  for (int i = 0; i < d.num_rows(); ++i) correct += t.Predict(d.Row(i)).label == d.labels[i];
  EXPECT_GT(correct, d.num_rows() * 8 / 10);
  for (const TreeNode& n : t.nodes) {
    if (n.is_leaf()) continue;
    bool seen = false;
    for (int r = 0; r < d.num_rows() && !seen; ++r) seen = d.features(r, n.feature) == n.threshold;
    EXPECT_TRUE(seen) << "threshold " << n.threshold << " of feature " << n.feature;
  }
}

TEST(CartTest, ProgressEndsWithDoneEqualToTotal) {
  Dataset d = RandomData(500, 3, 2);
  for (int max_bins : {0, 256}) {
    std::vector<std::pair<int, int>> calls;
    CartOptions o;
    o.progress = [&](int done, int total) { calls.emplace_back(done, total); };
    MustTrainWith(d, o, max_bins);
    ASSERT_FALSE(calls.empty());
    EXPECT_EQ(calls.back().first, calls.back().second) << "max_bins " << max_bins;
    for (size_t i = 1; i < calls.size(); ++i) EXPECT_LE(calls[i - 1].first, calls[i].first);
  }
}

TEST(CartTest, RejectsBadOptionsAndData) {
  Dataset d = Make({{1}, {2}}, {0, 1});
  CartOptions o;
  o.min_samples_leaf = 0;
  EXPECT_THAT(TrainCart(d, o), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("min_samples_leaf must be >= 1")));
  o = CartOptions();
  o.class_weights = {1, 2, 3};
  EXPECT_THAT(TrainCart(d, o), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("3 class weights for 2 classes")));
  o = CartOptions();
  o.max_features = 5;
  EXPECT_THAT(TrainCart(d, o),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_features 5 outside")));
  Dataset empty = Make({}, {});
  EXPECT_THAT(TrainCart(empty, CartOptions()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no rows")));
  EXPECT_THAT(CartTrainer::Create(d, 1, /*max_bins=*/300),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_bins 300 outside")));
}

}  // namespace
}  // namespace o2c::ml
