// Split criteria of the CART trainer: Gini impurity and entropy over
// weighted class counts. The trainer, cost-complexity pruning and feature
// importances all measure impurity through these functions.
#ifndef O2C_ML_CRITERION_H_
#define O2C_ML_CRITERION_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace o2c::ml {

enum class Criterion { kGini, kEntropy };

// "gini" / "entropy" (what sklearn calls them).
const char* CriterionName(Criterion c);
// The inverse; InvalidArgument listing the choices otherwise.
absl::StatusOr<Criterion> ParseCriterion(absl::string_view name);

// Impurity of a node whose (weighted) class counts are `counts`: Gini
// 1 - sum p^2, or entropy -sum p log2 p. 0 for an empty node.
double Impurity(Criterion c, absl::Span<const double> counts);

// Impurity times the node's total weight: what a split minimizes, summed
// over both children. Cheaper than Impurity() for Gini.
double WeightedImpurity(Criterion c, absl::Span<const double> counts);

// The class of largest weight, ties to the lower label (the leaf label of a
// node, and the vote rule of forests).
int MajorityLabel(absl::Span<const double> counts);

}  // namespace o2c::ml

#endif  // O2C_ML_CRITERION_H_
