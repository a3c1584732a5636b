// o2c::AuditionModel: the decision tree that decides, at a free site, whether
// an untracked object is the compartment's own (the free is allowed) or a
// kernel object (a violation). It reads integer features named by a feature
// schema and compares them with integer thresholds, so the BPF code compiled
// from it (o2c/bpf) decides exactly as Predict() does here.
//
//   O2C_ASSIGN_OR_RETURN(o2c::AuditionModel model, o2c::AuditionModel::Load("pipe.o2cm"));
//   O2C_ASSIGN_OR_RETURN(o2c::AuditionVerdict v, model.Predict(features));
//
// Model files are versioned protobuf with a checksum (o2c/ml/model_file.h):
// a truncated, corrupted, other-version or other-schema file is refused with
// an error naming the file and what is wrong with it.
//
// An AuditionModel is a value: it owns its tree, schema and class names,
// copies are independent, and its const methods may be called from several
// threads at once (set_description is the only mutator).
#ifndef O2C_AUDITION_MODEL_H_
#define O2C_AUDITION_MODEL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "o2c/ml/criterion.h"
#include "o2c/ml/decision_tree.h"
#include "o2c/ml/feature_schema.h"

namespace o2c {

// What the model says about one object.
struct AuditionVerdict {
  int32_t label = 0;
  std::string class_name;     // "own", "kernel", or the label as a number
  int32_t leaf_id = -1;       // the leaf reached, dense in [0, leaves)
  std::vector<int32_t> path;  // tree node indexes from the root to that leaf
};

// The model's decision on one object without the path: what a product that
// classifies on a hot path needs. Holds nothing that allocates.
struct AuditionDecision {
  int32_t label = 0;
  int32_t leaf_id = -1;  // the leaf reached, dense in [0, leaves)
};

class AuditionModel {
 public:
  // A model from a trained tree. InvalidArgument if the tree is malformed
  // (ml/tree_check.h) or does not read exactly `schema`'s features, or if
  // class_names (may be empty) do not match its classes.
  static absl::StatusOr<AuditionModel> Create(ml::DecisionTree tree, ml::FeatureSchema schema,
                                              std::vector<std::string> class_names,
                                              ml::Criterion criterion = ml::Criterion::kGini);

  // Reads a model file; errors name `path` and the problem.
  static absl::StatusOr<AuditionModel> Load(const std::string& path);
  // Also refuses (FailedPrecondition) a model whose schema is not
  // `expected` (names and enum values, in order): features computed for
  // one schema must never be fed to a tree trained on another.
  static absl::StatusOr<AuditionModel> Load(const std::string& path,
                                            const ml::FeatureSchema& expected);
  // Writes the model file (atomically: a temporary file, then a rename).
  absl::Status Save(const std::string& path) const;

  // A copy whose leaves say "own" iff the share of the class named "own"
  // among the training weights that reached the leaf is >= `threshold`, and
  // the other class otherwise: the policy's transition.threshold, traded
  // between false violations (a lower threshold) and kernel objects let
  // through (a higher one). Leaf ids and the tree's shape are unchanged, so
  // the compiled program differs only in its verdicts. A leaf without class
  // weights (a hand-made tree) has no probability to compare: it keeps its
  // label. InvalidArgument if `threshold` is outside [0, 1];
  // FailedPrecondition if the model has not two classes or none named "own".
  absl::StatusOr<AuditionModel> WithOwnThreshold(double threshold) const;

  // Classifies one object; InvalidArgument unless `features` has exactly
  // schema().size() values.
  absl::StatusOr<AuditionVerdict> Predict(absl::Span<const int64_t> features) const;
  // The same decision without class name and path: no allocation (the host
  // twin of the tree that runs in the kernel). class_names()[label] names
  // it. InvalidArgument, allocating its message, on a wrong feature count.
  absl::StatusOr<AuditionDecision> Decide(absl::Span<const int64_t> features) const;

  // Why `features` got its verdict, in the schema's words:
  // "slab_size <= 192 and ptr0_class == COMPARTMENT_HEAP -> own".
  absl::StatusOr<std::string> Explain(absl::Span<const int64_t> features) const;
  // Impurity-decrease importance per feature, summing to 1.
  std::vector<double> FeatureImportances() const;
  // The tree as a Graphviz digraph (render with ml::RenderDot).
  std::string ToDot() const;

  // Views into this model, valid while it lives.
  const ml::DecisionTree& tree() const { return tree_; }
  // The rule to the leaf `leaf_id` in Explain's words ("slab_size <= 192 and
  // ptr0_class == COMPARTMENT_HEAP -> own"); "" for no such leaf.
  std::string RuleToLeaf(int32_t leaf_id) const;
  const ml::FeatureSchema& schema() const { return schema_; }
  const std::vector<std::string>& class_names() const { return class_names_; }
  ml::Criterion criterion() const { return criterion_; }
  // Free text stored in the file: how the model was trained.
  const std::string& description() const { return description_; }
  void set_description(std::string d) { description_ = std::move(d); }

 private:
  AuditionModel() = default;

  ml::DecisionTree tree_;
  ml::FeatureSchema schema_;
  std::vector<std::string> class_names_;
  ml::Criterion criterion_ = ml::Criterion::kGini;
  std::string description_;
};

}  // namespace o2c

#endif  // O2C_AUDITION_MODEL_H_
