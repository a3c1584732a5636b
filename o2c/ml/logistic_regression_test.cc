#include "o2c/ml/logistic_regression.h"

#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace o2c::ml {
namespace {

using ::o2c::testing::IsOk;
using ::o2c::testing::StatusIs;
using ::testing::HasSubstr;

// Label 1 when 3*x0 - 2*x1 > 100, x in [0, 1000) and a constant column.
Dataset Linear(int rows) {
  std::mt19937_64 rng(5);
  Dataset d;
  d.features.resize(rows, 3);
  for (int r = 0; r < rows; ++r) {
    d.features(r, 0) = static_cast<int64_t>(rng() % 1000);
    d.features(r, 1) = static_cast<int64_t>(rng() % 1000);
    d.features(r, 2) = 7;
    d.labels.push_back(3 * d.features(r, 0) - 2 * d.features(r, 1) > 100);
  }
  for (int c = 0; c < 3; ++c) d.schema.features.push_back({"f" + std::to_string(c), "", {}});
  return d;
}

TEST(LogisticRegressionTest, LearnsALinearRuleAndItsFixedPointTwinAgrees) {
  Dataset d = Linear(2000);
  LogisticOptions o;
  o.iterations = 500;
  absl::StatusOr<LogisticRegression> model = TrainLogistic(d, o);
  ASSERT_THAT(model, IsOk());
  absl::StatusOr<FixedPointLogistic> fixed = QuantizeLogistic(*model, d);
  ASSERT_THAT(fixed, IsOk());
  EXPECT_EQ(fixed->fraction_bits, 24);
  int correct = 0, agree = 0;
  for (int i = 0; i < d.num_rows(); ++i) {
    correct += model->Predict(d.Row(i)) == d.labels[i];
    agree += model->Predict(d.Row(i)) == fixed->Predict(d.Row(i));
  }
  EXPECT_GT(correct, d.num_rows() * 97 / 100);
  EXPECT_GE(agree, d.num_rows() * 998 / 1000);
  // The learned direction is 3:-2.
  EXPECT_NEAR(model->weights[0] / -model->weights[1], 1.5, 0.15);
}

TEST(LogisticRegressionTest, FixedPointGivesUpBitsToAvoidOverflow) {
  Dataset d = Linear(10);
  d.features(0, 0) = int64_t{1} << 50;
  LogisticRegression m;
  m.weights = Eigen::VectorXd::Constant(3, 1.0);
  absl::StatusOr<FixedPointLogistic> fixed = QuantizeLogistic(m, d);
  ASSERT_THAT(fixed, IsOk());
  EXPECT_EQ(fixed->fraction_bits, 11);  // 2^50 * 2^11 < 2^62 <= 2^50 * 2^12
  d.features(0, 0) = int64_t{1} << 62;
  EXPECT_THAT(QuantizeLogistic(m, d),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("can overflow int64")));
}

TEST(LogisticRegressionTest, TwoClassesOnly) {
  Dataset d = Linear(10);
  d.labels[0] = 2;
  EXPECT_THAT(TrainLogistic(d, LogisticOptions()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("takes 2 classes")));
}

}  // namespace
}  // namespace o2c::ml
