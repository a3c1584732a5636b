#include "o2c/ml/cross_validation.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "o2c/ml/split.h"

namespace o2c::ml {

absl::StatusOr<CrossValidationResult> CrossValidate(const Dataset& data, int k, uint64_t seed,
                                                    const Fit& fit) {
  if (k < 2 || k > data.num_rows()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot make ", k, " folds of ", data.num_rows(), " rows (need 2 <= k <= rows)"));
  }
  return CrossValidateFolds(data, KFoldSplits(data.num_rows(), k, seed), fit);
}

absl::StatusOr<CrossValidationResult> CrossValidateFolds(const Dataset& data,
                                                         const std::vector<Split>& folds,
                                                         const Fit& fit) {
  const int k = static_cast<int>(folds.size());
  if (k < 2) return absl::InvalidArgumentError(absl::StrCat(k, " folds; need at least 2"));
  CrossValidationResult result;
  result.total = ConfusionMatrix(data.num_classes());
  for (const Split& split : folds) {
    Dataset train = data.Subset(split.train);
    absl::StatusOr<Classifier> model = fit(train);
    if (!model.ok()) {
      return absl::Status(model.status().code(),
                          absl::StrCat("fold ", result.folds.size() + 1, " of ", k, ": ",
                                       model.status().message()));
    }
    ConfusionMatrix m = Evaluate(*model, data.Subset(split.test));
    result.total.Merge(m);
    result.folds.push_back(std::move(m));
  }
  double sum = 0, squares = 0;
  for (const ConfusionMatrix& m : result.folds) {
    sum += m.Accuracy();
    squares += m.Accuracy() * m.Accuracy();
  }
  result.mean_accuracy = sum / k;
  result.stddev_accuracy = std::sqrt(std::max(0.0, squares / k - result.mean_accuracy * result.mean_accuracy));
  return result;
}

}  // namespace o2c::ml
