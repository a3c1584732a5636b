// Logistic regression (binary), a baseline of the paper's model study: the
// float model trained with Eigen, and its fixed-point twin, the only form a
// BPF program could run (no floating point in BPF).
#ifndef O2C_ML_LOGISTIC_REGRESSION_H_
#define O2C_ML_LOGISTIC_REGRESSION_H_

#include <cstdint>
#include <vector>

#include "Eigen/Core"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "o2c/ml/dataset.h"

namespace o2c::ml {

// score(x) = weights . x + bias on the raw features; label 1 when score > 0.
struct LogisticRegression {
  Eigen::VectorXd weights;
  double bias = 0;

  double Score(absl::Span<const int64_t> x) const;
  int32_t Predict(absl::Span<const int64_t> x) const { return Score(x) > 0 ? 1 : 0; }
};

struct LogisticOptions {
  int iterations = 300;  // full-batch gradient steps
  double learning_rate = 0.5;
  double l2 = 1e-4;  // on standardized weights
};

// Gradient descent on standardized features (then folded back to raw
// scale). Labels must be 0/1.
absl::StatusOr<LogisticRegression> TrainLogistic(const Dataset& data,
                                                 const LogisticOptions& options);

// Integer twin: sum(weights[i] * x[i]) + bias > 0, all int64; weights are the
// float weights times 2^fraction_bits, rounded.
struct FixedPointLogistic {
  std::vector<int64_t> weights;
  int64_t bias = 0;
  int fraction_bits = 0;

  int32_t Predict(absl::Span<const int64_t> x) const;
};

// Chooses the most fraction bits (<= max_fraction_bits) for which the sum
// cannot overflow int64 for feature values within the ranges seen in
// `data`; InvalidArgument when even 0 bits could overflow.
absl::StatusOr<FixedPointLogistic> QuantizeLogistic(const LogisticRegression& model,
                                                    const Dataset& data,
                                                    int max_fraction_bits = 24);

}  // namespace o2c::ml

#endif  // O2C_ML_LOGISTIC_REGRESSION_H_
