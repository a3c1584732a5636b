#include "o2c/ml/metrics.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace o2c::ml {
namespace {

double Ratio(int64_t num, int64_t den) {
  return den == 0 ? 0.0 : static_cast<double>(num) / static_cast<double>(den);
}

}  // namespace

ConfusionMatrix::ConfusionMatrix(int num_classes)
    : k_(num_classes), counts_(static_cast<size_t>(num_classes) * num_classes, 0) {}

absl::StatusOr<ConfusionMatrix> ConfusionMatrix::FromLabels(absl::Span<const int32_t> truth,
                                                            absl::Span<const int32_t> predicted,
                                                            int num_classes) {
  if (truth.size() != predicted.size()) {
    return absl::InvalidArgumentError(absl::StrCat(truth.size(), " true labels but ",
                                                   predicted.size(), " predictions"));
  }
  ConfusionMatrix m(num_classes);
  for (size_t i = 0; i < truth.size(); ++i) {
    for (int32_t label : {truth[i], predicted[i]}) {
      if (label < 0 || label >= num_classes) {
        return absl::InvalidArgumentError(absl::StrCat(
            "sample ", i, ": label ", label, " outside [0, ", num_classes, ")"));
      }
    }
    m.Add(truth[i], predicted[i]);
  }
  return m;
}

void ConfusionMatrix::Add(int32_t truth, int32_t predicted, int64_t times) {
  counts_[truth * k_ + predicted] += times;
}

void ConfusionMatrix::Merge(const ConfusionMatrix& other) {
  for (size_t i = 0; i < counts_.size() && i < other.counts_.size(); ++i) {
    counts_[i] += other.counts_[i];
  }
}

int64_t ConfusionMatrix::total() const {
  int64_t sum = 0;
  for (int64_t c : counts_) sum += c;
  return sum;
}

double ConfusionMatrix::Accuracy() const {
  int64_t correct = 0;
  for (int c = 0; c < k_; ++c) correct += count(c, c);
  return Ratio(correct, total());
}

double ConfusionMatrix::Precision(int positive) const {
  int64_t predicted_positive = 0;
  for (int t = 0; t < k_; ++t) predicted_positive += count(t, positive);
  return Ratio(count(positive, positive), predicted_positive);
}

double ConfusionMatrix::Recall(int positive) const {
  int64_t actual_positive = 0;
  for (int p = 0; p < k_; ++p) actual_positive += count(positive, p);
  return Ratio(count(positive, positive), actual_positive);
}

double ConfusionMatrix::F1(int positive) const {
  const double p = Precision(positive);
  const double r = Recall(positive);
  return p + r == 0 ? 0.0 : 2 * p * r / (p + r);
}

double ConfusionMatrix::FalsePositiveRate(int positive) const {
  int64_t false_positive = 0;
  int64_t actual_negative = 0;
  for (int t = 0; t < k_; ++t) {
    if (t == positive) continue;
    false_positive += count(t, positive);
    for (int p = 0; p < k_; ++p) actual_negative += count(t, p);
  }
  return Ratio(false_positive, actual_negative);
}

double ConfusionMatrix::FalseNegativeRate(int positive) const {
  int64_t actual_positive = 0;
  for (int p = 0; p < k_; ++p) actual_positive += count(positive, p);
  return Ratio(actual_positive - count(positive, positive), actual_positive);
}

std::string ConfusionMatrix::FormatPerClass(const std::vector<std::string>& class_names) const {
  auto name = [&](int c) {
    return c < static_cast<int>(class_names.size()) ? class_names[c] : absl::StrCat(c);
  };
  size_t width = 5;
  for (int c = 0; c < k_; ++c) width = std::max(width, name(c).size());
  std::string out = absl::StrFormat("%-*s %9s %9s %9s %9s %9s\n", width, "class", "rows",
                                    "precision", "recall", "FPR", "FNR");
  for (int c = 0; c < k_; ++c) {
    int64_t rows = 0;
    for (int p = 0; p < k_; ++p) rows += count(c, p);
    absl::StrAppendFormat(&out, "%-*s %9d %9.4f %9.4f %9.4f %9.4f\n", width, name(c), rows,
                          Precision(c), Recall(c), FalsePositiveRate(c), FalseNegativeRate(c));
  }
  return out;
}

std::string ConfusionMatrix::Format(const std::vector<std::string>& class_names,
                                    int positive) const {
  auto name = [&](int c) {
    return c < static_cast<int>(class_names.size()) ? class_names[c] : absl::StrCat(c);
  };
  size_t width = 9;
  for (int c = 0; c < k_; ++c) width = std::max(width, name(c).size() + 2);
  std::string out = absl::StrFormat("%-*s", width + 7, "truth \\ predicted");
  for (int p = 0; p < k_; ++p) absl::StrAppendFormat(&out, "%*s", width, name(p));
  out += "\n";
  for (int t = 0; t < k_; ++t) {
    absl::StrAppendFormat(&out, "%-*s", width + 7, name(t));
    for (int p = 0; p < k_; ++p) absl::StrAppendFormat(&out, "%*d", width, count(t, p));
    out += "\n";
  }
  absl::StrAppendFormat(&out,
                        "accuracy %.4f  precision %.4f  recall %.4f  F1 %.4f  FPR %.4f  "
                        "(positive class: %s, %d samples)\n",
                        Accuracy(), Precision(positive), Recall(positive), F1(positive),
                        FalsePositiveRate(positive), name(positive), total());
  return out;
}

int64_t ConfusionMatrix::actual(int truth) const {
  int64_t rows = 0;
  for (int p = 0; p < k_; ++p) rows += count(truth, p);
  return rows;
}

ConfusionMatrix Evaluate(const Classifier& model, const Dataset& data) {
  ConfusionMatrix m(data.num_classes());
  std::vector<int64_t> row(data.num_features());
  for (int i = 0; i < data.num_rows(); ++i) {
    for (int f = 0; f < data.num_features(); ++f) row[f] = data.features(i, f);
    m.Add(data.labels[i], model(row));
  }
  return m;
}

std::map<int64_t, ConfusionMatrix> EvaluateByGroup(const Classifier& model, const Dataset& data,
                                                   absl::Span<const int64_t> groups) {
  std::map<int64_t, ConfusionMatrix> out;
  std::vector<int64_t> row(data.num_features());
  for (int i = 0; i < data.num_rows(); ++i) {
    for (int f = 0; f < data.num_features(); ++f) row[f] = data.features(i, f);
    out.try_emplace(groups[i], data.num_classes()).first->second.Add(data.labels[i], model(row));
  }
  return out;
}

Interval WilsonInterval(int64_t successes, int64_t trials, double z) {
  if (trials <= 0) return {};
  const double n = static_cast<double>(trials);
  const double p = successes / n;
  const double z2 = z * z;
  const double center = (p + z2 / (2 * n)) / (1 + z2 / n);
  const double half = z * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n);
  return {std::max(0.0, center - half), std::min(1.0, center + half)};
}

std::string FormatGroupRates(const std::map<int64_t, ConfusionMatrix>& groups,
                             const std::function<std::string(int64_t)>& group_name,
                             const std::string& title, int positive) {
  // "0.0012 [0.0003, 0.0041] of 2410": a rate, its interval, its rows.
  auto rate = [](int64_t successes, int64_t trials) {
    const Interval ci = WilsonInterval(successes, trials);
    return absl::StrFormat("%.4f [%.4f, %.4f] of %d", trials ? double(successes) / trials : 0.0,
                           ci.low, ci.high, trials);
  };
  size_t width = title.size();
  for (const auto& [group, m] : groups) width = std::max(width, group_name(group).size());
  std::string out = absl::StrFormat("%-*s %8s  %-32s %-32s %s\n", width, title, "rows",
                                    "accuracy [95% CI] of rows", "FPR [95% CI] of negatives",
                                    "FNR [95% CI] of positives");
  for (const auto& [group, m] : groups) {
    int64_t correct = 0;
    for (int c = 0; c < m.num_classes(); ++c) correct += m.count(c, c);
    const int64_t positives = m.actual(positive);
    const int64_t false_negatives = positives - m.count(positive, positive);
    int64_t false_positives = 0;
    for (int t = 0; t < m.num_classes(); ++t) {
      if (t != positive) false_positives += m.count(t, positive);
    }
    absl::StrAppendFormat(&out, "%-*s %8d  %-32s %-32s %s\n", width, group_name(group),
                          m.total(), rate(correct, m.total()),
                          rate(false_positives, m.total() - positives),
                          rate(false_negatives, positives));
  }
  return out;
}

}  // namespace o2c::ml
