// k-fold cross-validation of any trainer: each fold is held out once while
// the others train a model, and the k confusion matrices are summed.
#ifndef O2C_ML_CROSS_VALIDATION_H_
#define O2C_ML_CROSS_VALIDATION_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "o2c/ml/dataset.h"
#include "o2c/ml/metrics.h"
#include "o2c/ml/split.h"

namespace o2c::ml {

// Trains a model on `train` and returns it as a Classifier.
using Fit = std::function<absl::StatusOr<Classifier>(const Dataset& train)>;

struct CrossValidationResult {
  std::vector<ConfusionMatrix> folds;  // one per fold, on its held-out rows
  ConfusionMatrix total;               // their sum
  double mean_accuracy = 0;
  double stddev_accuracy = 0;  // over folds (population)
};

// Splits `data` into k folds with KFoldSplits(seed) (split.h); the first
// failing fit's error is returned with its fold number.
absl::StatusOr<CrossValidationResult> CrossValidate(const Dataset& data, int k, uint64_t seed,
                                                    const Fit& fit);

// The same over given folds (e.g. BlockedKFoldSplits, for rows in recorded
// order); InvalidArgument for fewer than 2.
absl::StatusOr<CrossValidationResult> CrossValidateFolds(const Dataset& data,
                                                         const std::vector<Split>& folds,
                                                         const Fit& fit);

}  // namespace o2c::ml

#endif  // O2C_ML_CROSS_VALIDATION_H_
