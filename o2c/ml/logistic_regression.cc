#include "o2c/ml/logistic_regression.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace o2c::ml {

double LogisticRegression::Score(absl::Span<const int64_t> x) const {
  double s = bias;
  for (Eigen::Index i = 0; i < weights.size(); ++i) s += weights[i] * static_cast<double>(x[i]);
  return s;
}

absl::StatusOr<LogisticRegression> TrainLogistic(const Dataset& data,
                                                 const LogisticOptions& options) {
  if (data.num_classes() != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("logistic regression takes 2 classes, the data has ", data.num_classes()));
  }
  if (data.num_rows() == 0) return absl::InvalidArgumentError("dataset has no rows");
  const Eigen::MatrixXd raw = data.features.cast<double>();
  const Eigen::RowVectorXd mean = raw.colwise().mean();
  Eigen::RowVectorXd scale =
      ((raw.rowwise() - mean).array().square().colwise().mean()).sqrt().matrix();
  for (Eigen::Index j = 0; j < scale.size(); ++j) {
    if (scale[j] == 0) scale[j] = 1;  // a constant column carries nothing
  }
  const Eigen::MatrixXd x = (raw.rowwise() - mean).array().rowwise() / scale.array();
  Eigen::VectorXd y(data.num_rows());
  for (int i = 0; i < data.num_rows(); ++i) y[i] = data.labels[i];
  Eigen::VectorXd w = Eigen::VectorXd::Zero(x.cols());
  double b = 0;
  const double n = static_cast<double>(data.num_rows());
  for (int it = 0; it < options.iterations; ++it) {
    Eigen::VectorXd z = (x * w).array() + b;
    Eigen::VectorXd p = (1.0 / (1.0 + (-z.array()).exp())).matrix();
    Eigen::VectorXd error = p - y;
    w -= options.learning_rate * ((x.transpose() * error) / n + options.l2 * w);
    b -= options.learning_rate * error.sum() / n;
  }
  // Back to raw features: w_raw = w / scale, bias absorbs the means.
  LogisticRegression model;
  model.weights = (w.array() / scale.transpose().array()).matrix();
  model.bias = b - mean.dot(model.weights);
  return model;
}

int32_t FixedPointLogistic::Predict(absl::Span<const int64_t> x) const {
  int64_t s = bias;
  for (size_t i = 0; i < weights.size(); ++i) s += weights[i] * x[i];
  return s > 0 ? 1 : 0;
}

absl::StatusOr<FixedPointLogistic> QuantizeLogistic(const LogisticRegression& model,
                                                    const Dataset& data, int max_fraction_bits) {
  // Largest possible |score| at scale 1, over the training ranges.
  double bound = std::abs(model.bias);
  for (Eigen::Index j = 0; j < model.weights.size(); ++j) {
    const double largest = data.num_rows() == 0
                               ? 0.0
                               : static_cast<double>(data.features.col(j).cwiseAbs().maxCoeff());
    bound += std::abs(model.weights[j]) * largest;
  }
  int bits = max_fraction_bits;
  while (bits >= 0 && bound * std::ldexp(1.0, bits) >= std::ldexp(1.0, 62)) --bits;
  if (bits < 0) {
    return absl::InvalidArgumentError(
        "fixed point: the score can overflow int64 even without fraction bits");
  }
  FixedPointLogistic fixed;
  fixed.fraction_bits = bits;
  for (Eigen::Index j = 0; j < model.weights.size(); ++j) {
    fixed.weights.push_back(std::llround(std::ldexp(model.weights[j], bits)));
  }
  fixed.bias = std::llround(std::ldexp(model.bias, bits));
  return fixed;
}

}  // namespace o2c::ml
