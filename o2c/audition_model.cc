#include "o2c/audition_model.h"

#include "absl/strings/str_cat.h"
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

absl::StatusOr<std::string> AuditionModel::Explain(absl::Span<const int64_t> features) const {
  O2C_RETURN_IF_ERROR(Predict(features).status());
  return ml::DescribePath(tree_, schema_, class_names_, features);
}

std::vector<double> AuditionModel::FeatureImportances() const {
  return ml::FeatureImportances(tree_, criterion_);
}

std::string AuditionModel::ToDot() const { return ml::TreeToDot(tree_, schema_, class_names_); }

}  // namespace o2c
