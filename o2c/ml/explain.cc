#include "o2c/ml/explain.h"

#include <algorithm>
#include <limits>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace o2c::ml {
namespace {

std::string ClassName(const std::vector<std::string>& names, int label) {
  return label >= 0 && label < static_cast<int>(names.size()) ? names[label] : absl::StrCat(label);
}

// What the path says about one feature: lo < x <= hi.
struct Range {
  int feature;
  std::optional<int64_t> lo;  // exclusive
  std::optional<int64_t> hi;  // inclusive
};

std::string FormatRange(const Range& r, const FeatureSchema& schema) {
  const std::string name = schema.Name(r.feature);
  if (r.lo && r.hi && *r.lo != std::numeric_limits<int64_t>::max() && *r.lo + 1 == *r.hi) {
    return absl::StrCat(name, " == ", schema.FormatValue(r.feature, *r.hi));
  }
  if (r.lo && r.hi) {
    return absl::StrCat(schema.FormatValue(r.feature, *r.lo), " < ", name, " <= ",
                        schema.FormatValue(r.feature, *r.hi));
  }
  if (r.hi) return absl::StrCat(name, " <= ", schema.FormatValue(r.feature, *r.hi));
  return absl::StrCat(name, " > ", schema.FormatValue(r.feature, *r.lo));
}

}  // namespace

std::string DescribePath(const DecisionTree& tree, const FeatureSchema& schema,
                         const std::vector<std::string>& class_names,
                         absl::Span<const int64_t> x) {
  const std::vector<int32_t> path = tree.Path(x);
  std::vector<Range> ranges;  // in order of first use on the path
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    const TreeNode& n = tree.nodes[path[i]];
    Range* r = nullptr;
    for (Range& existing : ranges) {
      if (existing.feature == n.feature) r = &existing;
    }
    if (r == nullptr) r = &ranges.emplace_back(Range{n.feature, std::nullopt, std::nullopt});
    if (x[n.feature] <= n.threshold) {
      if (!r->hi || n.threshold < *r->hi) r->hi = n.threshold;
    } else if (!r->lo || n.threshold > *r->lo) {
      r->lo = n.threshold;
    }
  }
  std::vector<std::string> words;
  for (const Range& r : ranges) words.push_back(FormatRange(r, schema));
  const std::string verdict = ClassName(class_names, tree.nodes[path.back()].label);
  if (words.empty()) return absl::StrCat("always -> ", verdict);
  return absl::StrCat(absl::StrJoin(words, " and "), " -> ", verdict);
}

std::string DescribeSteps(const DecisionTree& tree, const FeatureSchema& schema,
                          const std::vector<std::string>& class_names,
                          absl::Span<const int64_t> x) {
  const std::vector<int32_t> path = tree.Path(x);
  std::string out;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    const TreeNode& n = tree.nodes[path[i]];
    const bool left = x[n.feature] <= n.threshold;
    absl::StrAppend(&out, "node ", path[i], ": ", schema.Name(n.feature), " = ",
                    schema.FormatValue(n.feature, x[n.feature]), left ? " <= " : " > ",
                    schema.FormatValue(n.feature, n.threshold), left ? ", left" : ", right",
                    "\n");
  }
  const TreeNode& leaf = tree.nodes[path.back()];
  absl::StrAppend(&out, "node ", path.back(), ": leaf ", leaf.leaf_id, " -> ",
                  ClassName(class_names, leaf.label), "\n");
  return out;
}

std::vector<double> FeatureImportances(const DecisionTree& tree, Criterion criterion) {
  std::vector<double> importance(tree.num_features, 0.0);
  for (const TreeNode& n : tree.nodes) {
    if (n.is_leaf()) continue;
    const TreeNode& l = tree.nodes[n.left];
    const TreeNode& r = tree.nodes[n.right];
    if (n.class_weights.empty() || l.class_weights.empty() || r.class_weights.empty()) continue;
    importance[n.feature] += WeightedImpurity(criterion, n.class_weights) -
                             WeightedImpurity(criterion, l.class_weights) -
                             WeightedImpurity(criterion, r.class_weights);
  }
  double sum = 0;
  for (double v : importance) sum += v;
  if (sum > 0) {
    for (double& v : importance) v /= sum;
  }
  return importance;
}

std::vector<double> PathShares(const DecisionTree& tree, const Dataset& data) {
  std::vector<double> share(tree.num_features, 0.0);
  if (data.num_rows() == 0) return share;
  std::vector<char> on_path(tree.num_features);
  for (int i = 0; i < data.num_rows(); ++i) {
    std::fill(on_path.begin(), on_path.end(), 0);
    for (int32_t node : tree.Path(data.Row(i))) {
      if (!tree.nodes[node].is_leaf()) on_path[tree.nodes[node].feature] = 1;
    }
    for (int f = 0; f < tree.num_features; ++f) share[f] += on_path[f];
  }
  for (double& v : share) v /= data.num_rows();
  return share;
}

std::string DescribeDecisiveFeatures(const FeatureSchema& schema,
                                     const std::vector<double>& importances,
                                     const std::vector<double>& path_shares) {
  std::vector<int> order;
  for (int f = 0; f < static_cast<int>(importances.size()); ++f) {
    const double share = f < static_cast<int>(path_shares.size()) ? path_shares[f] : 0;
    if (importances[f] > 0 || share > 0) order.push_back(f);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return importances[a] > importances[b]; });
  std::vector<std::string> parts;
  for (int f : order) {
    const double share = f < static_cast<int>(path_shares.size()) ? path_shares[f] : 0;
    parts.push_back(absl::StrFormat("%s %.2f (on the path of %.0f%% of rows)", schema.Name(f),
                                    importances[f], 100 * share));
  }
  return parts.empty() ? "none (a single leaf)" : absl::StrJoin(parts, ", ");
}

}  // namespace o2c::ml
