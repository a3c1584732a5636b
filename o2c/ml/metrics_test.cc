#include "o2c/ml/metrics.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace o2c::ml {
namespace {

using ::o2c::testing::StatusIs;
using ::testing::HasSubstr;

// TP 3 (rows 0, 2, 8), FN 2 (1, 9), FP 1 (4), TN 4 (3, 5, 6, 7).
ConfusionMatrix Example() {
  absl::StatusOr<ConfusionMatrix> m = ConfusionMatrix::FromLabels(
      std::vector<int32_t>{1, 1, 1, 0, 0, 0, 0, 0, 1, 1},
      std::vector<int32_t>{1, 0, 1, 0, 1, 0, 0, 0, 1, 0}, 2);
  EXPECT_TRUE(m.ok());
  return *m;
}

TEST(MetricsTest, CountsEveryCell) {
  ConfusionMatrix m = Example();
  EXPECT_EQ(m.count(1, 1), 3);
  EXPECT_EQ(m.count(1, 0), 2);
  EXPECT_EQ(m.count(0, 1), 1);
  EXPECT_EQ(m.count(0, 0), 4);
  EXPECT_EQ(m.total(), 10);
}

TEST(MetricsTest, RatesByHand) {
  ConfusionMatrix m = Example();
  EXPECT_DOUBLE_EQ(m.Accuracy(), 0.7);
  EXPECT_DOUBLE_EQ(m.Precision(), 0.75);
  EXPECT_DOUBLE_EQ(m.Recall(), 0.6);
  EXPECT_DOUBLE_EQ(m.F1(), 2 * 0.75 * 0.6 / 1.35);
  EXPECT_DOUBLE_EQ(m.FalsePositiveRate(), 0.2);
  // Class 0 as the positive one: TP 4, FP 2, FN 1, TN 3.
  EXPECT_DOUBLE_EQ(m.Precision(0), 4.0 / 6);
  EXPECT_DOUBLE_EQ(m.Recall(0), 0.8);
  EXPECT_DOUBLE_EQ(m.FalsePositiveRate(0), 0.4);
  EXPECT_DOUBLE_EQ(m.FalseNegativeRate(), 0.4);
  EXPECT_DOUBLE_EQ(m.FalseNegativeRate(0), 0.2);
}

TEST(MetricsTest, MultiClass) {
  absl::StatusOr<ConfusionMatrix> m = ConfusionMatrix::FromLabels(
      std::vector<int32_t>{0, 1, 2, 2, 2, 1}, std::vector<int32_t>{0, 2, 2, 1, 2, 1}, 3);
  ASSERT_TRUE(m.ok());
  EXPECT_DOUBLE_EQ(m->Accuracy(), 4.0 / 6);
  EXPECT_DOUBLE_EQ(m->Precision(2), 2.0 / 3);
  EXPECT_DOUBLE_EQ(m->Recall(2), 2.0 / 3);
  EXPECT_DOUBLE_EQ(m->FalsePositiveRate(2), 1.0 / 3);  // 1 of the 3 non-2 rows
}

TEST(MetricsTest, EmptyDenominatorsGiveZero) {
  ConfusionMatrix m(2);
  m.Add(0, 0, 5);
  EXPECT_DOUBLE_EQ(m.Precision(), 0);
  EXPECT_DOUBLE_EQ(m.Recall(), 0);
  EXPECT_DOUBLE_EQ(m.F1(), 0);
  EXPECT_DOUBLE_EQ(m.FalsePositiveRate(), 0);
  EXPECT_DOUBLE_EQ(ConfusionMatrix(2).Accuracy(), 0);
}

TEST(MetricsTest, RejectsMismatchedInput) {
  EXPECT_THAT(ConfusionMatrix::FromLabels(std::vector<int32_t>{0, 1}, std::vector<int32_t>{0}, 2),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("2 true labels but 1")));
  EXPECT_THAT(ConfusionMatrix::FromLabels(std::vector<int32_t>{0, 3}, std::vector<int32_t>{0, 0}, 2),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sample 1: label 3")));
}

TEST(MetricsTest, FormatNamesClassesAndRates) {
  std::string text = Example().Format({"own", "kernel"});
  EXPECT_THAT(text, HasSubstr("kernel"));
  EXPECT_THAT(text, HasSubstr("accuracy 0.7000"));
  EXPECT_THAT(text, HasSubstr("FPR 0.2000"));
}

TEST(MetricsTest, FormatPerClassGivesEachClassItsRates) {
  const std::string text = Example().FormatPerClass({"own", "kernel"});
  EXPECT_THAT(text, HasSubstr("class       rows precision    recall       FPR       FNR\n"));
  EXPECT_THAT(text, HasSubstr("own            5    0.6667    0.8000    0.4000    0.2000\n"));
  EXPECT_THAT(text, HasSubstr("kernel         5    0.7500    0.6000    0.2000    0.4000\n"));
}

TEST(MetricsTest, EvaluateRunsTheClassifierOnEveryRow) {
  Dataset d;
  d.features.resize(3, 1);
  d.features << 1, 5, 9;
  d.labels = {0, 1, 1};
  ConfusionMatrix m = Evaluate([](absl::Span<const int64_t> x) { return x[0] > 6 ? 1 : 0; }, d);
  EXPECT_EQ(m.count(1, 0), 1);
  EXPECT_EQ(m.count(1, 1), 1);
  EXPECT_EQ(m.count(0, 0), 1);
}

// Reference values worked out by hand from Wilson's formula.
TEST(MetricsTest, WilsonIntervalMatchesTheReferenceAndStaysInRange) {
  Interval none = WilsonInterval(0, 10);
  EXPECT_DOUBLE_EQ(none.low, 0);
  EXPECT_NEAR(none.high, 0.2775, 1e-4);
  Interval half = WilsonInterval(5, 10);
  EXPECT_NEAR(half.low, 0.2366, 1e-4);
  EXPECT_NEAR(half.high, 0.7634, 1e-4);
  Interval all = WilsonInterval(100, 100);
  EXPECT_NEAR(all.low, 0.9630, 1e-4);
  EXPECT_DOUBLE_EQ(all.high, 1);
  Interval empty = WilsonInterval(0, 0);
  EXPECT_EQ(empty.low, 0);
  EXPECT_EQ(empty.high, 1);
  // More rows, a narrower interval around the same rate.
  Interval many = WilsonInterval(500, 1000);
  EXPECT_LT(many.high - many.low, half.high - half.low);
}

TEST(MetricsTest, EvaluateByGroupSplitsRowsByTheirGroup) {
  Dataset d;
  d.features.resize(4, 1);
  d.features << 1, 9, 1, 9;
  d.labels = {0, 1, 1, 1};
  const std::vector<int64_t> path = {7, 7, 3, 3};
  auto groups = EvaluateByGroup([](absl::Span<const int64_t> x) { return x[0] > 6 ? 1 : 0; }, d,
                                path);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups.at(7).total(), 2);
  EXPECT_EQ(groups.at(7).Accuracy(), 1);
  EXPECT_EQ(groups.at(3).count(1, 0), 1);  // row 2: truth 1, predicted 0
  const std::string text = FormatGroupRates(
      groups, [](int64_t g) { return g == 3 ? std::string("kfree") : std::string("other"); },
      "free_path", 1);
  EXPECT_THAT(text, HasSubstr("kfree"));
  // kfree: 1 correct of 2; no negatives; 1 of 2 positives missed.
  EXPECT_THAT(text, HasSubstr("0.5000 [0.0945, 0.9055] of 2"));
  EXPECT_THAT(text, HasSubstr("0.0000 [0.0000, 1.0000] of 0"));
}

}  // namespace
}  // namespace o2c::ml
