// o2c train: trains the audition model (CART) on a labelled dataset, prints
// its metrics on a held-out split and writes the model file. A free_path
// column (o2c prepare writes one) is dropped: it describes how a sample was
// freed, which no feature may say.
//
//   o2c train --data D.csv --out model.o2cm [--max-depth 12] [--criterion gini]
//             [--seed 1] [--min-samples-leaf 1] [--min-impurity-decrease 0]
//             [--ccp-alpha 0] [--balanced] [--test-fraction 0.2] [--positive 1]
#include <chrono>
#include <cstdio>
#include <string>

#include "absl/strings/str_format.h"
#include "examples/cli_args.h"
#include "examples/commands.h"
#include "o2c/audition_model.h"
#include "o2c/ml/cart.h"
#include "o2c/ml/dataset_file.h"
#include "o2c/ml/metrics.h"
#include "o2c/ml/split.h"
#include "o2c/prepare.h"

namespace o2c::cli {

const CommandHelp kTrainHelp = {
    .name = "train",
    .summary = "train the audition model (CART) on a labelled dataset",
    .description = "Trains the audition model (CART) on a labelled dataset, prints its metrics on a "
               "held-out split and writes the model file.",
    .flags = {{"data", "FILE", "the labelled dataset (CSV or the protobuf dataset)", true},
              {"out", "FILE", "the model file to write (.o2cm)", true},
              {"max-depth", "D", "the tree's maximum depth (default 12)"},
              {"criterion", "NAME", "gini or entropy (default gini)"},
              {"seed", "S", "seed of the held-out split (default 1)"},
              {"min-samples-leaf", "N", "fewest samples in a leaf (default 1)"},
              {"min-impurity-decrease", "X", "split only if impurity drops by X (default 0)"},
              {"ccp-alpha", "X", "cost-complexity pruning strength (default 0: none)"},
              {"balanced", "", "class weights inverse to class frequency"},
              {"test-fraction", "F", "fraction held out for the metrics (default 0.2)"},
              {"positive", "CLASS", "the positive class of FPR/FNR (default 1)"},
              {"threads", "N", "training threads (default 0: one per CPU)"}},
    .example = "o2c train --data testdata/ml/audition_small.csv --out model.o2cm --max-depth 8",
};
namespace {

// "[########........] 33%" on one stderr line, redrawn in place.
void DrawProgress(int done, int total) {
  constexpr int kWidth = 24;
  const int filled = total > 0 ? static_cast<int>(int64_t{kWidth} * done / total) : kWidth;
  std::fprintf(stderr, "\r  training [%s%s] %3d%%", std::string(filled, '#').c_str(),
               std::string(kWidth - filled, '.').c_str(),
               total > 0 ? static_cast<int>(int64_t{100} * done / total) : 100);
  if (done >= total) std::fputc('\n', stderr);
  std::fflush(stderr);
}

int Depth(const ml::DecisionTree& tree, int node = 0) {
  const ml::TreeNode& n = tree.nodes[node];
  return n.is_leaf() ? 0 : 1 + std::max(Depth(tree, n.left), Depth(tree, n.right));
}

}  // namespace

int TrainCommand(int argc, char** argv) {
  Args args(argc, argv, kTrainHelp);
  absl::StatusOr<std::string> data_path = args.Require("data");
  absl::StatusOr<std::string> out_path = args.Require("out");
  absl::StatusOr<long long> max_depth = args.GetInt("max-depth", 12);
  absl::StatusOr<long long> seed = args.GetInt("seed", 1);
  absl::StatusOr<long long> min_leaf = args.GetInt("min-samples-leaf", 1);
  absl::StatusOr<long long> threads = args.GetInt("threads", 0);
  absl::StatusOr<long long> positive = args.GetInt("positive", 1);
  absl::StatusOr<double> min_decrease = args.GetDouble("min-impurity-decrease", 0);
  absl::StatusOr<double> ccp_alpha = args.GetDouble("ccp-alpha", 0);
  absl::StatusOr<double> test_fraction = args.GetDouble("test-fraction", 0.2);
  const std::string criterion_name = args.Get("criterion").value_or("gini");
  const bool balanced = args.Has("balanced");
  for (const absl::Status& s :
       {data_path.status(), out_path.status(), max_depth.status(), seed.status(),
        min_leaf.status(), threads.status(), positive.status(), min_decrease.status(),
        ccp_alpha.status(), test_fraction.status(), args.Finish()}) {
    if (!s.ok()) return ReportFailure("train", s);
  }
  absl::StatusOr<ml::Criterion> criterion = ml::ParseCriterion(criterion_name);
  if (!criterion.ok()) return ReportFailure("train", criterion.status());
  if (*test_fraction < 0 || *test_fraction >= 1) {
    return ReportFailure("train", absl::InvalidArgumentError("--test-fraction must be in [0, 1)"));
  }

  absl::StatusOr<ml::Dataset> data = ml::ReadDataset(*data_path);
  if (!data.ok()) return ReportFailure("train", data.status());
  if (data->TakeColumn(kFreePathColumn).has_value()) {
    std::fprintf(stderr, "o2c train: %s: column %s says how a sample was freed, not what the "
                 "object is: not trained on\n", data_path->c_str(), kFreePathColumn);
  }
  ml::Split split = ml::TrainTestSplit(data->num_rows(), *test_fraction, *seed);
  ml::Dataset train = data->Subset(split.train);
  ml::Dataset test = data->Subset(split.test);
  std::fprintf(stderr, "o2c train: %s: %d rows x %d features, %d classes; %zu train, %zu held out\n",
               data_path->c_str(), data->num_rows(), data->num_features(), data->num_classes(),
               split.train.size(), split.test.size());

  ml::CartOptions options;
  options.criterion = *criterion;
  options.max_depth = static_cast<int>(*max_depth);
  options.min_samples_leaf = static_cast<int>(*min_leaf);
  options.min_impurity_decrease = *min_decrease;
  options.ccp_alpha = *ccp_alpha;
  options.balanced_class_weights = balanced;
  options.seed = static_cast<uint64_t>(*seed);
  options.num_threads = static_cast<int>(*threads);
  options.progress = DrawProgress;
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<ml::CartTrainer> trainer = ml::CartTrainer::Create(train, options.num_threads);
  if (!trainer.ok()) return ReportFailure("train", trainer.status());
  absl::StatusOr<ml::DecisionTree> tree = trainer->Train(options);
  if (!tree.ok()) return ReportFailure("train", tree.status());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  int leaves = 0;
  for (const ml::TreeNode& n : tree->nodes) leaves += n.is_leaf();
  std::printf("tree: %zu nodes, %d leaves, depth %d, trained in %.2f s\n", tree->nodes.size(),
              leaves, Depth(*tree), seconds);
  ml::Classifier classify = [&](absl::Span<const int64_t> x) { return tree->Predict(x).label; };
  if (test.num_rows() > 0) {
    std::printf("\nheld-out split (%d rows):\n%s", test.num_rows(),
                ml::Evaluate(classify, test).Format(data->class_names, *positive).c_str());
  }
  std::printf("\ntraining split (%d rows): accuracy %.4f\n", train.num_rows(),
              ml::Evaluate(classify, train).Accuracy());

  absl::StatusOr<AuditionModel> model =
      AuditionModel::Create(*std::move(tree), data->schema, data->class_names, *criterion);
  if (!model.ok()) return ReportFailure("train", model.status());
  model->set_description(absl::StrFormat(
      "CART %s max_depth=%d min_samples_leaf=%d ccp_alpha=%g%s seed=%d on %d rows of %s",
      criterion_name, options.max_depth, options.min_samples_leaf, options.ccp_alpha,
      balanced ? " balanced" : "", *seed, train.num_rows(), *data_path));
  if (absl::Status s = model->Save(*out_path); !s.ok()) return ReportFailure("train", s);
  std::printf("\nwrote %s\n", out_path->c_str());
  return 0;
}

}  // namespace o2c::cli
