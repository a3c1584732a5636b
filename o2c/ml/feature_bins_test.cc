#include "o2c/ml/feature_bins.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace o2c::ml {
namespace {

using ::o2c::testing::IsOk;
using ::o2c::testing::StatusIs;
using ::testing::HasSubstr;

Dataset Column(const std::vector<int64_t>& values) {
  Dataset d;
  d.features.resize(static_cast<Eigen::Index>(values.size()), 1);
  for (size_t i = 0; i < values.size(); ++i) d.features(static_cast<Eigen::Index>(i), 0) = values[i];
  d.labels.assign(values.size(), 0);
  d.schema.features.push_back({"f0", "", {}});
  return d;
}

TEST(FeatureBinsTest, FewValuesGetABinEach) {
  absl::StatusOr<FeatureBins> bins = FeatureBins::Create(Column({7, -3, 7, 100, -3}), 256, 1);
  ASSERT_THAT(bins, IsOk());
  EXPECT_TRUE(bins->exact(0));
  ASSERT_EQ(bins->num_bins(0), 3);
  EXPECT_EQ(bins->upper(0, 0), -3);
  EXPECT_EQ(bins->upper(0, 1), 7);
  EXPECT_EQ(bins->upper(0, 2), 100);
  const uint8_t* codes = bins->codes(0);
  EXPECT_EQ(codes[0], 1);
  EXPECT_EQ(codes[1], 0);
  EXPECT_EQ(codes[3], 2);
  EXPECT_EQ(bins->BinOf(0, 8), 2);
  EXPECT_EQ(bins->BinOf(0, 1000), 2);
}

TEST(FeatureBinsTest, WideRangeValuesAreHashedNotArrayCounted) {
  absl::StatusOr<FeatureBins> bins =
      FeatureBins::Create(Column({int64_t{1} << 62, -(int64_t{1} << 62), 0}), 256, 1);
  ASSERT_THAT(bins, IsOk());
  ASSERT_EQ(bins->num_bins(0), 3);
  EXPECT_EQ(bins->upper(0, 0), -(int64_t{1} << 62));
  EXPECT_EQ(bins->codes(0)[0], 2);
  EXPECT_EQ(bins->codes(0)[2], 1);
}

TEST(FeatureBinsTest, ManyValuesAreCutIntoEqualCountBinsOfSeenUppers) {
  std::vector<int64_t> values;
  for (int i = 0; i < 1000; ++i) values.push_back(i * 3);
  absl::StatusOr<FeatureBins> bins = FeatureBins::Create(Column(values), 4, 2);
  ASSERT_THAT(bins, IsOk());
  EXPECT_FALSE(bins->exact(0));
  ASSERT_EQ(bins->num_bins(0), 4);
  EXPECT_EQ(bins->upper(0, 0), 249 * 3);  // 250 rows each
  EXPECT_EQ(bins->upper(0, 1), 499 * 3);
  EXPECT_EQ(bins->upper(0, 3), 999 * 3);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(bins->codes(0)[i], i / 250) << "row " << i;
}

TEST(FeatureBinsTest, OneHeavyValueNeverSpansTwoBins) {
  std::vector<int64_t> values(900, 5);
  for (int i = 0; i < 100; ++i) values.push_back(10 + i);
  absl::StatusOr<FeatureBins> bins = FeatureBins::Create(Column(values), 4, 1);
  ASSERT_THAT(bins, IsOk());
  EXPECT_EQ(bins->upper(0, 0), 5);
  EXPECT_LE(bins->num_bins(0), 4);
  EXPECT_EQ(bins->upper(0, bins->num_bins(0) - 1), 109);
}

TEST(FeatureBinsTest, RejectsBinCountsOutsideAByte) {
  EXPECT_THAT(FeatureBins::Create(Column({1, 2}), 257, 1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_bins 257 outside [2, 256]")));
  EXPECT_THAT(FeatureBins::Create(Column({1, 2}), 1, 1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_bins 1 outside")));
}

}  // namespace
}  // namespace o2c::ml
