#include "o2c/audition_model.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "o2c/ml/explain.h"
#include "o2c/ml/model_file.h"
#include "o2c/ml/tree_check.h"
#include "o2c/ml/tree_dot.h"
#include "o2c/internal/status_macros.h"

namespace o2c {

absl::StatusOr<AuditionModel> AuditionModel::Create(ml::DecisionTree tree,
                                                    ml::FeatureSchema schema,
                                                    std::vector<std::string> class_names,
                                                    ml::Criterion criterion) {
  O2C_RETURN_IF_ERROR(ml::ValidateTree(tree));
  O2C_RETURN_IF_ERROR(schema.Validate());
  if (tree.num_features != schema.size()) {
    return absl::InvalidArgumentError(absl::StrCat("tree reads ", tree.num_features,
                                                   " features but the schema has ", schema.size()));
  }
  if (!class_names.empty() && static_cast<int>(class_names.size()) != tree.num_classes) {
    return absl::InvalidArgumentError(absl::StrCat("tree has ", tree.num_classes, " classes but ",
                                                   class_names.size(), " class names were given"));
  }
  AuditionModel model;
  model.tree_ = std::move(tree);
  model.schema_ = std::move(schema);
  model.class_names_ = std::move(class_names);
  model.criterion_ = criterion;
  return model;
}

absl::StatusOr<AuditionModel> AuditionModel::Load(const std::string& path) {
  O2C_ASSIGN_OR_RETURN(ml::ModelFile file, ml::ReadModelFile(path));
  if (file.trees.size() != 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, ": holds a forest of ", file.trees.size(),
        " trees; an audition model is one tree (load it with ml::ReadModelFile)"));
  }
  ml::Criterion criterion = ml::Criterion::kGini;
  if (!file.criterion.empty()) {
    absl::StatusOr<ml::Criterion> parsed = ml::ParseCriterion(file.criterion);
    if (!parsed.ok()) return absl::DataLossError(absl::StrCat(path, ": ", parsed.status().message()));
    criterion = *parsed;
  }
  absl::StatusOr<AuditionModel> model = Create(std::move(file.trees[0]), std::move(file.schema),
                                               std::move(file.class_names), criterion);
  if (!model.ok()) return absl::DataLossError(absl::StrCat(path, ": ", model.status().message()));
  model->description_ = std::move(file.description);
  return model;
}

absl::StatusOr<AuditionModel> AuditionModel::Load(const std::string& path,
                                                  const ml::FeatureSchema& expected) {
  O2C_ASSIGN_OR_RETURN(AuditionModel model, Load(path));
  if (absl::Status s = ml::CompareSchemas(expected, model.schema_); !s.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": wrong feature schema: ", s.message()));
  }
  return model;
}

absl::Status AuditionModel::Save(const std::string& path) const {
  ml::ModelFile file;
  file.schema = schema_;
  file.class_names = class_names_;
  file.trees = {tree_};
  file.criterion = ml::CriterionName(criterion_);
  file.description = description_;
  return ml::WriteModelFile(file, path);
}

absl::StatusOr<AuditionModel> AuditionModel::WithOwnThreshold(double threshold) const {
  if (!(threshold >= 0 && threshold <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("own threshold ", threshold, " is outside [0, 1]"));
  }
  if (tree_.num_classes != 2) {
    return absl::FailedPreconditionError(absl::StrCat(
        "own threshold: the model has ", tree_.num_classes, " classes, not two (own, kernel)"));
  }
  auto own_name = std::find(class_names_.begin(), class_names_.end(), "own");
  if (own_name == class_names_.end()) {
    return absl::FailedPreconditionError(
        "own threshold: no class of the model is named 'own'");
  }
  const int32_t own = static_cast<int32_t>(std::distance(class_names_.begin(), own_name));
  AuditionModel thresholded = *this;
  for (ml::TreeNode& node : thresholded.tree_.nodes) {
    if (!node.is_leaf()) continue;
    double total = 0;
    for (double w : node.class_weights) total += w;
    // A hand-made leaf's label is all there is to go by.
    if (static_cast<int>(node.class_weights.size()) != 2 || total <= 0) continue;
    node.label = node.class_weights[own] / total >= threshold ? own : 1 - own;
  }
  return thresholded;
}

absl::StatusOr<AuditionVerdict> AuditionModel::Predict(absl::Span<const int64_t> features) const {
  if (static_cast<int>(features.size()) != schema_.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "audition model takes ", schema_.size(), " features, got ", features.size()));
  }
  ml::TreePrediction p = tree_.Predict(features);
  AuditionVerdict v;
  v.label = p.label;
  v.class_name = p.label < static_cast<int>(class_names_.size()) ? class_names_[p.label]
                                                                 : absl::StrCat(p.label);
  v.leaf_id = p.leaf_id;
  v.path = tree_.Path(features);
  return v;
}

absl::StatusOr<AuditionDecision> AuditionModel::Decide(
    absl::Span<const int64_t> features) const {
  if (static_cast<int>(features.size()) != schema_.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "audition model takes ", schema_.size(), " features, got ", features.size()));
  }
  ml::TreePrediction p = tree_.Predict(features);
  return AuditionDecision{p.label, p.leaf_id};
}

absl::StatusOr<std::string> AuditionModel::Explain(absl::Span<const int64_t> features) const {
  O2C_RETURN_IF_ERROR(Predict(features).status());
  return ml::DescribePath(tree_, schema_, class_names_, features);
}

std::vector<double> AuditionModel::FeatureImportances() const {
  return ml::FeatureImportances(tree_, criterion_);
}

std::string AuditionModel::ToDot() const { return ml::TreeToDot(tree_, schema_, class_names_); }

std::string AuditionModel::RuleToLeaf(int32_t leaf_id) const {
  // The range each feature must lie in to reach the leaf; a sample inside
  // every range follows the leaf's path, and Explain's words describe it.
  const size_t n = static_cast<size_t>(schema_.size());
  std::vector<int64_t> low(n, std::numeric_limits<int64_t>::min());
  std::vector<int64_t> high(n, std::numeric_limits<int64_t>::max());
  std::function<bool(int32_t)> find = [&](int32_t i) -> bool {
    const ml::TreeNode& node = tree_.nodes[i];
    if (node.is_leaf()) return node.leaf_id == leaf_id;
    const size_t f = static_cast<size_t>(node.feature);
    const int64_t saved_low = low[f], saved_high = high[f];
    high[f] = std::min<int64_t>(high[f], node.threshold);
    if (find(node.left)) return true;
    high[f] = saved_high;
    low[f] = std::max<int64_t>(low[f], node.threshold + 1);
    if (find(node.right)) return true;
    low[f] = saved_low;
    return false;
  };
  if (tree_.nodes.empty() || !find(0)) return "";
  std::vector<int64_t> sample(n);
  for (size_t f = 0; f < n; ++f) {
    sample[f] = low[f] != std::numeric_limits<int64_t>::min() ? low[f]
                                                                : std::min<int64_t>(high[f], 0);
  }
  return ml::DescribePath(tree_, schema_, class_names_, sample);
}

}  // namespace o2c
