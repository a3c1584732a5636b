#include "o2c/ml/explain.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "o2c/testonly/test_trees.h"

namespace o2c::ml {
namespace {

using ::testing::ElementsAre;
using ::testing::DoubleNear;

TEST(ExplainTest, PathMergesComparesIntoOneRangeAndNamesEnumValues) {
  EXPECT_EQ(DescribePath(testing::AuditionTree(), testing::AuditionSchema(),
                         testing::AuditionClasses(), std::vector<int64_t>{128, 2}),
            "slab_size <= 192 and ptr0_class == COMPARTMENT_HEAP -> own");
  EXPECT_EQ(DescribePath(testing::AuditionTree(), testing::AuditionSchema(),
                         testing::AuditionClasses(), std::vector<int64_t>{128, 3}),
            "slab_size <= 192 and ptr0_class > COMPARTMENT_HEAP -> kernel");
  EXPECT_EQ(DescribePath(testing::AuditionTree(), testing::AuditionSchema(), {},
                         std::vector<int64_t>{512, 2}),
            "slab_size > 192 -> 1");
}

TEST(ExplainTest, PathWithUnnamedValuesAndTwoSidedRange) {
  DecisionTree t = testing::AuditionTree();
  t.nodes[1].feature = 0;  // slab_size <= 64 under slab_size <= 192
  t.nodes[1].threshold = 64;
  t.nodes[4].feature = 0;
  t.nodes[4].threshold = 128;
  EXPECT_EQ(DescribePath(t, testing::AuditionSchema(), testing::AuditionClasses(),
                         std::vector<int64_t>{100, 0}),
            "64 < slab_size <= 128 -> own");
}

TEST(ExplainTest, StepsShowTheSampleValues) {
  EXPECT_EQ(DescribeSteps(testing::AuditionTree(), testing::AuditionSchema(),
                          testing::AuditionClasses(), std::vector<int64_t>{128, 2}),
            "node 0: slab_size = 128 <= 192, left\n"
            "node 1: ptr0_class = COMPARTMENT_HEAP > KERNEL_TEXT, right\n"
            "node 4: ptr0_class = COMPARTMENT_HEAP <= COMPARTMENT_HEAP, left\n"
            "node 5: leaf 2 -> own\n");
}

TEST(ExplainTest, ImportancesByHand) {
  // Gini, weighted: node 0: 100 - (1600+3600)/100 = 48, children 60 - 2000/60
  // = 26.667 and 0: gain 21.333 (slab_size). Node 1: 26.667 - 0 - (50 - 1700/50
  // = 16): 10.667; node 4: 16 - 0 - 0: 16 (ptr0_class: 26.667).
  std::vector<double> imp = FeatureImportances(testing::AuditionTree(), Criterion::kGini);
  const double total = 64.0 / 3 + 80.0 / 3;
  EXPECT_THAT(imp, ElementsAre(DoubleNear(64.0 / 3 / total, 1e-9),
                               DoubleNear(80.0 / 3 / total, 1e-9)));
}

TEST(ExplainTest, ImportancesOfALeafAreZero) {
  DecisionTree t;
  t.num_features = 3;
  t.nodes.resize(1);
  t.nodes[0].leaf_id = 0;
  EXPECT_THAT(FeatureImportances(t, Criterion::kEntropy), ElementsAre(0, 0, 0));
}

TEST(ExplainTest, PathSharesCountTheRowsWhosePathComparesEachFeature) {
  Dataset d;
  d.features.resize(2, 2);
  d.features << 128, 2,  // slab_size, then ptr0_class
      512, 2;            // slab_size only
  d.labels = {1, 1};
  std::vector<double> shares = PathShares(testing::AuditionTree(), d);
  EXPECT_THAT(shares, ElementsAre(1.0, 0.5));
  EXPECT_EQ(DescribeDecisiveFeatures(testing::AuditionSchema(), {0.25, 0.75}, shares),
            "ptr0_class 0.75 (on the path of 50% of rows), "
            "slab_size 0.25 (on the path of 100% of rows)");
  EXPECT_EQ(DescribeDecisiveFeatures(testing::AuditionSchema(), {0, 0}, {0, 0}),
            "none (a single leaf)");
}

}  // namespace
}  // namespace o2c::ml
