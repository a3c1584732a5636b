#include "o2c/ml/random_forest.h"

#include <cmath>
#include <random>

#include "absl/container/fixed_array.h"
#include "absl/strings/str_cat.h"
#include "o2c/ml/criterion.h"

namespace o2c::ml {
namespace {

constexpr size_t kInlineClasses = 16;

}  // namespace

int32_t RandomForest::Predict(absl::Span<const int64_t> x) const {
  // Inline storage: no allocation per call for up to kInlineClasses classes.
  absl::FixedArray<double, kInlineClasses> votes(num_classes, 0.0);
  for (const DecisionTree& t : trees) votes[t.Predict(x).label] += 1;
  return MajorityLabel(votes);
}

absl::StatusOr<RandomForest> TrainForest(const Dataset& data, const ForestOptions& options) {
  if (options.num_trees < 1) return absl::InvalidArgumentError("num_trees must be >= 1");
  absl::StatusOr<CartTrainer> trainer = CartTrainer::Create(data, options.tree.num_threads);
  if (!trainer.ok()) return trainer.status();
  RandomForest forest;
  forest.num_classes = data.num_classes();
  const int n = data.num_rows();
  for (int t = 0; t < options.num_trees; ++t) {
    CartOptions tree_options = options.tree;
    tree_options.progress = nullptr;
    tree_options.seed = options.seed * 1000003 + t;
    if (tree_options.max_features == 0) {
      tree_options.max_features =
          std::max(1, static_cast<int>(std::lround(std::sqrt(data.num_features()))));
    }
    std::vector<double> weights;
    if (options.bootstrap) {
      weights.assign(n, 0.0);
      std::mt19937_64 rng(tree_options.seed);
      for (int i = 0; i < n; ++i) weights[rng() % static_cast<uint64_t>(n)] += 1;
    }
    absl::StatusOr<DecisionTree> tree = trainer->Train(tree_options, weights);
    if (!tree.ok()) {
      return absl::Status(tree.status().code(),
                          absl::StrCat("tree ", t, ": ", tree.status().message()));
    }
    forest.trees.push_back(*std::move(tree));
  }
  return forest;
}

}  // namespace o2c::ml
