#include "o2c/ml/random_forest.h"

#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "o2c/testonly/test_trees.h"
#include "testing/status_matchers.h"

namespace o2c::ml {
namespace {

using ::o2c::testing::IsOk;
using ::o2c::testing::StatusIs;
using ::testing::HasSubstr;

DecisionTree Constant(int label) {
  DecisionTree t;
  t.num_features = 2;
  t.nodes.resize(1);
  t.nodes[0].label = label;
  t.nodes[0].leaf_id = 0;
  return t;
}

TEST(RandomForestTest, MajorityVoteTiesGoToTheLowerLabel) {
  RandomForest f;
  f.num_classes = 3;
  f.trees = {Constant(2), Constant(1)};
  EXPECT_EQ(f.Predict(std::vector<int64_t>{0, 0}), 1);
  f.trees.push_back(Constant(2));
  EXPECT_EQ(f.Predict(std::vector<int64_t>{0, 0}), 2);
  f.trees = {Constant(1), Constant(0), Constant(1), Constant(0)};
  EXPECT_EQ(f.Predict(std::vector<int64_t>{0, 0}), 0);
}

Dataset Noisy(int rows) {
  std::mt19937_64 rng(11);
  Dataset d;
  d.features.resize(rows, 4);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < 4; ++c) d.features(r, c) = static_cast<int64_t>(rng() % 100);
    d.labels.push_back((d.features(r, 0) > 50) != (rng() % 8 == 0));
  }
  for (int c = 0; c < 4; ++c) d.schema.features.push_back({"f" + std::to_string(c), "", {}});
  return d;
}

TEST(RandomForestTest, SeededAndAccurate) {
  Dataset d = Noisy(1500);
  ForestOptions o;
  o.num_trees = 5;
  o.tree.max_depth = 4;
  absl::StatusOr<RandomForest> a = TrainForest(d, o);
  absl::StatusOr<RandomForest> b = TrainForest(d, o);
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  ASSERT_EQ(a->trees.size(), 5u);
  int correct = 0, same = 0;
  for (int i = 0; i < d.num_rows(); ++i) {
    correct += a->Predict(d.Row(i)) == d.labels[i];
    same += a->Predict(d.Row(i)) == b->Predict(d.Row(i));
  }
  EXPECT_EQ(same, d.num_rows());
  EXPECT_GT(correct, d.num_rows() * 8 / 10);
  // Bootstrap: the trees differ from one another.
  EXPECT_NE(a->trees[0].nodes[0].class_weights, a->trees[1].nodes[0].class_weights);
}

TEST(RandomForestTest, NeedsATree) {
  ForestOptions o;
  o.num_trees = 0;
  EXPECT_THAT(TrainForest(Noisy(10), o),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("num_trees must be >= 1")));
}

}  // namespace
}  // namespace o2c::ml
