#include "o2c/ml/criterion.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace o2c::ml {

const char* CriterionName(Criterion c) { return c == Criterion::kGini ? "gini" : "entropy"; }

absl::StatusOr<Criterion> ParseCriterion(absl::string_view name) {
  if (name == "gini") return Criterion::kGini;
  if (name == "entropy") return Criterion::kEntropy;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown criterion '", name, "' (choose gini or entropy)"));
}

double WeightedImpurity(Criterion c, absl::Span<const double> counts) {
  double total = 0;
  for (double x : counts) total += x;
  if (total <= 0) return 0;
  if (c == Criterion::kGini) {
    double squares = 0;
    for (double x : counts) squares += x * x;
    return total - squares / total;
  }
  // total * H = total*log2(total) - sum x*log2(x)
  double sum = 0;
  for (double x : counts) {
    if (x > 0) sum += x * std::log2(x);
  }
  return total * std::log2(total) - sum;
}

double Impurity(Criterion c, absl::Span<const double> counts) {
  double total = 0;
  for (double x : counts) total += x;
  return total <= 0 ? 0 : WeightedImpurity(c, counts) / total;
}

int MajorityLabel(absl::Span<const double> counts) {
  int best = 0;
  for (size_t k = 1; k < counts.size(); ++k) {
    if (counts[k] > counts[best]) best = static_cast<int>(k);
  }
  return best;
}

}  // namespace o2c::ml
