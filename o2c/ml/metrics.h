// How well a classifier does: the confusion matrix and the rates computed
// from it. For the audition model the positive class is the one whose
// misses matter (a kernel object freed by the compartment: a violation).
#ifndef O2C_ML_METRICS_H_
#define O2C_ML_METRICS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "o2c/ml/dataset.h"

namespace o2c::ml {

// Any model, seen as a function from one sample's features to a label.
using Classifier = std::function<int32_t(absl::Span<const int64_t>)>;

// counts[truth][predicted].
class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(int num_classes = 2);
  // InvalidArgument if the spans differ in length or a label is out of range.
  static absl::StatusOr<ConfusionMatrix> FromLabels(absl::Span<const int32_t> truth,
                                                    absl::Span<const int32_t> predicted,
                                                    int num_classes);

  // Labels must be in [0, num_classes()).
  void Add(int32_t truth, int32_t predicted, int64_t times = 1);
  // Adds every cell of `other` (same number of classes).
  void Merge(const ConfusionMatrix& other);

  int num_classes() const { return k_; }
  int64_t count(int truth, int predicted) const { return counts_[truth * k_ + predicted]; }
  int64_t total() const;
  // Rows whose true class is `truth`.
  int64_t actual(int truth) const;

  // All rates are 0 when their denominator is 0 (as sklearn's zero_division=0).
  double Accuracy() const;                        // correct / total
  double Precision(int positive = 1) const;       // TP / (TP + FP)
  double Recall(int positive = 1) const;          // TP / (TP + FN)
  double F1(int positive = 1) const;              // harmonic mean of the two
  double FalsePositiveRate(int positive = 1) const;  // FP / (FP + TN)
  double FalseNegativeRate(int positive = 1) const;  // FN / (FN + TP) = 1 - recall

  // A table with class names (or numbers) on both axes, then the rates.
  std::string Format(const std::vector<std::string>& class_names = {}, int positive = 1) const;
  // One line per class, each taken in turn as the positive one: rows of that
  // class, precision, recall, FPR, FNR.
  std::string FormatPerClass(const std::vector<std::string>& class_names = {}) const;

 private:
  int k_;
  std::vector<int64_t> counts_;
};

// The confusion matrix of `model` over every row of `data`.
ConfusionMatrix Evaluate(const Classifier& model, const Dataset& data);

// One confusion matrix per group: `groups[i]` is row i's group (e.g. the
// free path that released the object). `groups` has one entry per row.
std::map<int64_t, ConfusionMatrix> EvaluateByGroup(const Classifier& model, const Dataset& data,
                                                   absl::Span<const int64_t> groups);

// A two-sided confidence interval of a proportion.
struct Interval {
  double low = 0;
  double high = 1;
};

// The Wilson score interval of `successes` in `trials` at normal quantile
// `z` (1.96: 95 %). Unlike the normal approximation it stays inside [0, 1]
// and is honest at 0 or `trials` successes, where a rate measured on few
// rows says least. [0, 1] when trials is 0.
Interval WilsonInterval(int64_t successes, int64_t trials, double z = 1.96);

// One line per group with its rows, accuracy, FPR and FNR (for `positive`),
// each with its 95 % Wilson interval and the rows it is measured on:
//   free_path   rows  accuracy [95% CI]         FPR [95% CI] of n  ...
// `group_name` names a group ("kfree"); `title` heads the first column.
std::string FormatGroupRates(const std::map<int64_t, ConfusionMatrix>& groups,
                             const std::function<std::string(int64_t)>& group_name,
                             const std::string& title, int positive);

}  // namespace o2c::ml

#endif  // O2C_ML_METRICS_H_
