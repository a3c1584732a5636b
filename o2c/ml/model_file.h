// The model file (.o2cm): trees, the feature schema they read and the class
// names, in a checksummed, versioned envelope (envelope.h). One tree is an
// audition model; several are a forest voted by majority (random_forest.h).
#ifndef O2C_ML_MODEL_FILE_H_
#define O2C_ML_MODEL_FILE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "o2c/ml/decision_tree.h"
#include "o2c/ml/envelope.h"
#include "o2c/ml/feature_schema.h"

namespace o2c::ml {

// Version 1: the first format.
inline constexpr EnvelopeKind kModelFileKind = {"O2CM", 1, "model"};

// What a model file holds.
struct ModelFile {
  FeatureSchema schema;
  std::vector<std::string> class_names;  // may be empty
  std::vector<DecisionTree> trees;       // at least one
  std::string criterion;                 // "gini" / "entropy"
  std::string description;               // how it was made
};

// The file bytes of `model`.
std::string SerializeModelFile(const ModelFile& model);

// Checks and decodes file `bytes` (`file` names it in errors): the envelope
// (envelope.h), then that each tree is valid (tree_check.h) and reads exactly
// the schema's features and the named classes.
absl::StatusOr<ModelFile> ParseModelFile(const std::string& bytes, const std::string& file);

absl::Status WriteModelFile(const ModelFile& model, const std::string& path);
absl::StatusOr<ModelFile> ReadModelFile(const std::string& path);

}  // namespace o2c::ml

#endif  // O2C_ML_MODEL_FILE_H_
