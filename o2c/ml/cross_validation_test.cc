#include "o2c/ml/cross_validation.h"

#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "o2c/ml/split.h"
#include "testing/status_matchers.h"

namespace o2c::ml {
namespace {

using ::o2c::testing::IsOk;
using ::o2c::testing::StatusIs;
using ::testing::HasSubstr;

TEST(SplitTest, FoldsPartitionTheRows) {
  std::vector<Split> folds = KFoldSplits(10, 3, 1);
  ASSERT_EQ(folds.size(), 3u);
  std::multiset<int32_t> tested;
  for (const Split& f : folds) {
    EXPECT_EQ(f.train.size() + f.test.size(), 10u);
    EXPECT_GE(f.test.size(), 3u);
    EXPECT_LE(f.test.size(), 4u);
    tested.insert(f.test.begin(), f.test.end());
  }
  EXPECT_EQ(tested.size(), 10u);
  EXPECT_EQ(std::set<int32_t>(tested.begin(), tested.end()).size(), 10u);
}

TEST(SplitTest, SeedFixesTheOrder) {
  EXPECT_EQ(ShuffledRows(50, 9), ShuffledRows(50, 9));
  EXPECT_NE(ShuffledRows(50, 9), ShuffledRows(50, 10));
  Split s = TrainTestSplit(10, 0.25, 1);
  EXPECT_EQ(s.test.size(), 3u);  // round(2.5) away from zero
  EXPECT_EQ(s.train.size(), 7u);
}

TEST(SplitTest, ChronologicalSplitHoldsOutTheLastRows) {
  Split s = ChronologicalSplit(10, 0.25);
  EXPECT_EQ(s.train, (std::vector<int32_t>{0, 1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(s.test, (std::vector<int32_t>{7, 8, 9}));
}

TEST(SplitTest, BlockedFoldsAreContiguousAndPartitionTheRows) {
  std::vector<Split> folds = BlockedKFoldSplits(10, 3);
  ASSERT_EQ(folds.size(), 3u);
  EXPECT_EQ(folds[0].test, (std::vector<int32_t>{0, 1, 2}));
  EXPECT_EQ(folds[1].test, (std::vector<int32_t>{3, 4, 5}));
  EXPECT_EQ(folds[2].test, (std::vector<int32_t>{6, 7, 8, 9}));
  EXPECT_EQ(folds[1].train, (std::vector<int32_t>{0, 1, 2, 6, 7, 8, 9}));
}

Dataset Threshold(int rows) {
  Dataset d;
  d.features.resize(rows, 1);
  for (int i = 0; i < rows; ++i) {
    d.features(i, 0) = i;
    d.labels.push_back(i >= rows / 2);
  }
  d.schema.features.push_back({"x", "", {}});
  return d;
}

TEST(CrossValidationTest, SumsTheFolds) {
  Dataset d = Threshold(8);
  int fits = 0;
  absl::StatusOr<CrossValidationResult> cv =
      CrossValidate(d, 4, 5, [&](const Dataset& train) -> absl::StatusOr<Classifier> {
        ++fits;
        EXPECT_EQ(train.num_rows(), 6);
        return Classifier([](absl::Span<const int64_t> x) { return x[0] >= 4 ? 1 : 0; });
      });
  ASSERT_THAT(cv, IsOk());
  EXPECT_EQ(fits, 4);
  EXPECT_EQ(cv->folds.size(), 4u);
  EXPECT_EQ(cv->total.total(), 8);
  EXPECT_DOUBLE_EQ(cv->mean_accuracy, 1.0);
  EXPECT_DOUBLE_EQ(cv->stddev_accuracy, 0.0);
}

TEST(CrossValidationTest, AlwaysZeroHalfRight) {
  Dataset d = Threshold(8);
  absl::StatusOr<CrossValidationResult> cv = CrossValidate(
      d, 2, 5, [](const Dataset&) -> absl::StatusOr<Classifier> {
        return Classifier([](absl::Span<const int64_t>) { return 0; });
      });
  ASSERT_THAT(cv, IsOk());
  EXPECT_DOUBLE_EQ(cv->total.Accuracy(), 0.5);
  EXPECT_EQ(cv->total.count(1, 0), 4);
}

TEST(CrossValidationTest, ReportsTheFailingFold) {
  Dataset d = Threshold(6);
  EXPECT_THAT(CrossValidate(d, 3, 1,
                            [](const Dataset&) -> absl::StatusOr<Classifier> {
                              return absl::InternalError("boom");
                            }),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("fold 1 of 3: boom")));
  EXPECT_THAT(CrossValidate(d, 7, 1, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cannot make 7 folds")));
}

}  // namespace
}  // namespace o2c::ml
