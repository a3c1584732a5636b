#include "o2c/ml/model_file.h"

#include "absl/strings/str_cat.h"
#include "o2c/internal/file_util.h"
#include "o2c/ml/model.pb.h"
#include "o2c/ml/tree_check.h"
#include "o2c/internal/status_macros.h"

namespace o2c::ml {
namespace {

void TreeToProto(const DecisionTree& tree, proto::DecisionTree* out) {
  out->set_num_features(tree.num_features);
  out->set_num_classes(tree.num_classes);
  for (const TreeNode& n : tree.nodes) {
    proto::TreeNode* p = out->add_nodes();
    p->set_feature(n.feature);
    p->set_threshold(n.threshold);
    p->set_left(n.left);
    p->set_right(n.right);
    p->set_label(n.label);
    p->set_leaf_id(n.leaf_id);
    for (double w : n.class_weights) p->add_class_weights(w);
  }
}

DecisionTree TreeFromProto(const proto::DecisionTree& in) {
  DecisionTree tree;
  tree.num_features = in.num_features();
  tree.num_classes = in.num_classes();
  for (const proto::TreeNode& p : in.nodes()) {
    TreeNode n;
    n.feature = p.feature();
    n.threshold = p.threshold();
    n.left = p.left();
    n.right = p.right();
    n.label = p.label();
    n.leaf_id = p.leaf_id();
    n.class_weights.assign(p.class_weights().begin(), p.class_weights().end());
    tree.nodes.push_back(std::move(n));
  }
  return tree;
}

// The checks that hold for a model in memory and in a file.
absl::Status CheckModel(const ModelFile& model) {
  if (model.trees.empty()) return absl::InvalidArgumentError("model has no tree");
  O2C_RETURN_IF_ERROR(model.schema.Validate());
  for (size_t t = 0; t < model.trees.size(); ++t) {
    const DecisionTree& tree = model.trees[t];
    if (absl::Status s = ValidateTree(tree); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("tree ", t, ": ", s.message()));
    }
    if (tree.num_features != model.schema.size()) {
      return absl::FailedPreconditionError(
          absl::StrCat("tree ", t, " reads ", tree.num_features, " features but the schema has ",
                       model.schema.size()));
    }
    if (!model.class_names.empty() &&
        tree.num_classes != static_cast<int>(model.class_names.size())) {
      return absl::FailedPreconditionError(
          absl::StrCat("tree ", t, " has ", tree.num_classes, " classes but ",
                       model.class_names.size(), " class names"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string SerializeModelFile(const ModelFile& model) {
  proto::Model p;
  SchemaToProto(model.schema, p.mutable_schema());
  for (const std::string& c : model.class_names) p.add_class_names(c);
  for (const DecisionTree& t : model.trees) TreeToProto(t, p.add_trees());
  p.set_criterion(model.criterion);
  p.set_description(model.description);
  return SealEnvelope(kModelFileKind, p.SerializeAsString());
}

absl::StatusOr<ModelFile> ParseModelFile(const std::string& bytes, const std::string& file) {
  O2C_ASSIGN_OR_RETURN(std::string payload, OpenEnvelope(kModelFileKind, bytes, file));
  proto::Model p;
  if (!p.ParseFromString(payload)) {
    return absl::DataLossError(absl::StrCat(file, ": model payload does not parse"));
  }
  ModelFile model;
  model.schema = SchemaFromProto(p.schema());
  model.class_names.assign(p.class_names().begin(), p.class_names().end());
  for (const proto::DecisionTree& t : p.trees()) model.trees.push_back(TreeFromProto(t));
  model.criterion = p.criterion();
  model.description = p.description();
  if (absl::Status s = CheckModel(model); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat(file, ": invalid model: ", s.message()));
  }
  return model;
}

absl::Status WriteModelFile(const ModelFile& model, const std::string& path) {
  if (absl::Status s = CheckModel(model); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat(path, ": refusing to write: ", s.message()));
  }
  return internal::WriteFileBytes(path, SerializeModelFile(model));
}

absl::StatusOr<ModelFile> ReadModelFile(const std::string& path) {
  O2C_ASSIGN_OR_RETURN(std::string bytes, internal::ReadFileBytes(path));
  return ParseModelFile(bytes, path);
}

}  // namespace o2c::ml
