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

}  // namespace
}  // namespace o2c::ml
