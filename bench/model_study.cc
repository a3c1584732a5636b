// model_study: the paper's question, "why a decision tree?", on a real
// dataset made here by o2c prepare's profiler (the pipe compartment under
// tools/workloads/pipe_workload.sh). One table: held-out accuracy, F1 and
// false-positive rate (positive class: kernel object), the miss rate (FNR)
// per free path with its 95 % Wilson interval, BPF instructions, in-kernel
// ns per inference, and whether the verifier accepts the program, for a
// CART tree, a random forest and a fixed-point logistic regression on the
// extractor's semantic features, and for CART on the object's raw content
// (the paper's feature choice, at its prototype's 1024 words).
//
// Held out by time: the rows stay in the order the profiler recorded them,
// and every model is scored on the last 20 %. One row repeats the CART on a
// shuffled split, the way rows of near-copies leak into training.
//
// In-kernel ns: BPF_PROG_TEST_RUN of the packet form (XDP, repeat 20000)
// averaged over held-out samples, the empty-loop cost not subtracted (see
// tree_inference_bench for that); the packet carries the features up to
// the last one the model reads (an XDP test packet holds at most a page).
// The logistic regression is compiled by bpf/linear_codegen.h, so its row is
// measured like the trees'.
//
//   sudo bazel run -c opt //bench:model_study [-- --prep DIR]
// DIR: an `o2c prepare --raw-words` output (dataset.o2cd, dataset_raw.o2cd);
// without it the bench profiles for --seconds (default 3) itself.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "o2c/bpf/codegen/tree_program.h"
#include "o2c/ml/cart.h"
#include "o2c/ml/dataset_file.h"
#include "o2c/ml/logistic_regression.h"
#include "o2c/ml/metrics.h"
#include "o2c/ml/random_forest.h"
#include "o2c/ml/split.h"
#include "o2c/policy.h"
#include "o2c/prepare.h"
#include "o2c/internal/status_macros.h"

namespace o2c {
namespace {

constexpr uint32_t kRepeat = 20000;
constexpr int kTimedSamples = 32;

struct Row {
  std::string model;
  std::string features;
  ml::ConfusionMatrix held_out;
  std::map<int64_t, ml::ConfusionMatrix> by_path;
  std::string size;   // nodes / trees / weights
  std::string insns;  // measured, or "~N (estimate)"
  std::string ns;
  std::string verifier;
};

// Loads `program` (compiled to the packet form) and times it on `test`,
// whose first `read_features` columns are all it reads.
void MeasureInKernel(const absl::StatusOr<bpf::EmittedProgram>& program,
                     const ml::Dataset& test, size_t read_features, Row& row) {
  if (!program.ok()) {
    row.insns = "-";
    row.ns = "-";
    row.verifier = absl::StrCat("no: ", program.status().message()).substr(0, 60);
    return;
  }
  row.insns = absl::StrCat(program->insns.size());
  bpf::LoadStats stats;
  auto fd = bpf::LoadAudition(*program, bpf::AuditionForm::kPacket, {}, "", &stats);
  if (!fd.ok()) {
    row.ns = "-";
    row.verifier = absl::StrCat("REJECTED: ", fd.status().message()).substr(0, 60);
    return;
  }
  row.verifier = "accepted";
  double total = 0;
  int n = std::min(kTimedSamples, test.num_rows());
  for (int i = 0; i < n; ++i) {
    std::vector<int64_t> x = test.Row(i);
    x.resize(std::min<size_t>(x.size(), read_features));
    auto ns = bpf::RunPacketAudition(fd->get(), bpf::AuditionPacket(x), kRepeat, nullptr);
    if (!ns.ok()) {
      row.ns = std::string(ns.status().message());
      return;
    }
    total += *ns;
  }
  row.ns = absl::StrFormat("%.1f", n ? total / n : 0);
}

// 1 + the highest feature `trees` compare.
size_t FeaturesRead(absl::Span<const ml::DecisionTree> trees) {
  size_t n = 0;
  for (const ml::DecisionTree& t : trees) {
    for (const ml::TreeNode& node : t.nodes) {
      if (!node.is_leaf()) n = std::max(n, static_cast<size_t>(node.feature) + 1);
    }
  }
  return n;
}

// Compiles `trees` to the packet form, then as above.
void MeasureInKernel(absl::Span<const ml::DecisionTree> trees, const ml::Dataset& test,
                     Row& row) {
  bpf::CodegenOptions options{.long_jumps = bpf::KernelHasLongJumps()};
  MeasureInKernel(bpf::CompileAudition(trees, bpf::AuditionForm::kPacket, options, "o2c_study"),
                  test, FeaturesRead(trees), row);
}

// "0.0123 [0.0040, 0.0310]": the miss rate of kernel objects on `path`
// with its 95 % Wilson interval; "-" without kernel rows there.
std::string MissRate(const Row& row, int64_t path) {
  auto it = row.by_path.find(path);
  if (it == row.by_path.end() || it->second.actual(kPreparePositive) == 0) return "-";
  const ml::ConfusionMatrix& m = it->second;
  const int64_t kernel = m.actual(kPreparePositive);
  const int64_t missed = kernel - m.count(kPreparePositive, kPreparePositive);
  const ml::Interval ci = ml::WilsonInterval(missed, kernel);
  return absl::StrFormat("%.4f [%.4f, %.4f]", static_cast<double>(missed) / kernel, ci.low,
                         ci.high);
}

int Leaves(const ml::DecisionTree& t) {
  int n = 0;
  for (const ml::TreeNode& node : t.nodes) n += node.is_leaf();
  return n;
}

absl::Status Run(int argc, char** argv) {
  std::string prep;
  double seconds = 3;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--prep") && i + 1 < argc) prep = argv[++i];
    else if (!std::strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = std::atof(argv[++i]);
    else return absl::InvalidArgumentError(absl::StrCat("unknown argument '", argv[i], "'"));
  }
  ml::Dataset semantic, raw;
  std::vector<int64_t> free_path;
  if (prep.empty()) {
    O2C_ASSIGN_OR_RETURN(Policy policy, Policy::FromFile("testdata/policies/pipe.policy"));
    PrepareOptions options;
    options.workload = absl::StrCat("tools/workloads/pipe_workload.sh ", seconds);
    options.out_dir = "/tmp/o2c_model_study";
    options.negative_rate = 8;
    options.raw_words = true;
    O2C_ASSIGN_OR_RETURN(PrepareResult r, Prepare(policy, options));
    semantic = std::move(r.dataset);
    raw = std::move(*r.raw_dataset);
    free_path = std::move(r.free_path);
  } else {
    O2C_ASSIGN_OR_RETURN(semantic, ml::ReadDataset(prep + "/dataset.o2cd"));
    O2C_ASSIGN_OR_RETURN(raw, ml::ReadDataset(prep + "/dataset_raw.o2cd"));
    std::optional<std::vector<int64_t>> paths = semantic.TakeColumn(kFreePathColumn);
    if (!paths) return absl::FailedPreconditionError(prep + "/dataset.o2cd: no free_path column");
    free_path = *std::move(paths);
  }
  if (semantic.num_rows() != raw.num_rows()) {
    return absl::FailedPreconditionError("semantic and raw datasets differ in rows");
  }
  const int own = std::count(semantic.labels.begin(), semantic.labels.end(), 1);
  std::printf("dataset: %d samples, %d own (%.1f%%), %d kernel; held out by time: the last 20%%\n\n",
              semantic.num_rows(), own, 100.0 * own / semantic.num_rows(),
              semantic.num_rows() - own);
  const ml::Split split = ml::ChronologicalSplit(semantic.num_rows(), 0.2);
  ml::Dataset train = semantic.Subset(split.train), test = semantic.Subset(split.test);
  ml::Dataset raw_train = raw.Subset(split.train), raw_test = raw.Subset(split.test);
  std::vector<int64_t> test_paths;
  for (int32_t r : split.test) test_paths.push_back(free_path[r]);
  std::vector<Row> rows;
  const std::string semantic_name = absl::StrCat("semantic (", semantic.num_features(), ")");
  // Scores `classify` on `data` (the held-out rows, test_paths' order).
  auto score = [&](const ml::Classifier& classify, const ml::Dataset& data, Row& row) {
    row.held_out = ml::Evaluate(classify, data);
    row.by_path = ml::EvaluateByGroup(classify, data, test_paths);
  };

  ml::CartOptions cart;
  cart.max_depth = 8;
  O2C_ASSIGN_OR_RETURN(ml::DecisionTree tree, ml::TrainCart(train, cart));
  {
    Row row{"CART depth<=8", semantic_name};
    score([&](auto x) { return tree.Predict(x).label; }, test, row);
    row.size = absl::StrCat(tree.nodes.size(), " nodes, ", Leaves(tree), " leaves");
    MeasureInKernel({&tree, 1}, test, row);
    rows.push_back(row);
  }
  {
    // The same tree on a shuffled split: test rows have near-copies in training.
    const ml::Split shuffled = ml::TrainTestSplit(semantic.num_rows(), 0.2, 1);
    ml::Dataset shuffled_test = semantic.Subset(shuffled.test);
    O2C_ASSIGN_OR_RETURN(ml::DecisionTree t, ml::TrainCart(semantic.Subset(shuffled.train), cart));
    Row row{"CART depth<=8, SHUFFLED split", semantic_name};
    row.held_out = ml::Evaluate([&](auto x) { return t.Predict(x).label; }, shuffled_test);
    std::vector<int64_t> paths;
    for (int32_t r : shuffled.test) paths.push_back(free_path[r]);
    row.by_path =
        ml::EvaluateByGroup([&](auto x) { return t.Predict(x).label; }, shuffled_test, paths);
    row.size = absl::StrCat(t.nodes.size(), " nodes, ", Leaves(t), " leaves");
    MeasureInKernel({&t, 1}, shuffled_test, row);
    rows.push_back(row);
  }
  ml::ForestOptions forest_options;
  forest_options.num_trees = 16;
  forest_options.tree.max_depth = 8;
  O2C_ASSIGN_OR_RETURN(ml::RandomForest forest, ml::TrainForest(train, forest_options));
  {
    Row row{"random forest 16x depth<=8", semantic_name};
    score([&](auto x) { return forest.Predict(x); }, test, row);
    size_t nodes = 0;
    for (const auto& t : forest.trees) nodes += t.nodes.size();
    row.size = absl::StrCat(forest.trees.size(), " trees, ", nodes, " nodes");
    MeasureInKernel(forest.trees, test, row);
    rows.push_back(row);
  }
  O2C_ASSIGN_OR_RETURN(ml::LogisticRegression lr, ml::TrainLogistic(train, {}));
  {
    Row row{"logistic regression (fixed point)", semantic_name};
    auto fixed = ml::QuantizeLogistic(lr, train);
    if (fixed.ok()) {
      score([&](auto x) { return fixed->Predict(x); }, test, row);
      row.size = absl::StrCat(fixed->weights.size(), " weights, 2^-", fixed->fraction_bits);
      MeasureInKernel(bpf::CompileLinearAudition(*fixed, bpf::AuditionForm::kPacket, "o2c_study"),
                      test, test.num_features(), row);
    } else {
      row.size = std::string(fixed.status().message()).substr(0, 40);
      row.insns = row.ns = "-";
      row.verifier = "not compiled";
    }
    rows.push_back(row);
  }
  for (int depth : {8, 20}) {
    ml::CartOptions raw_cart;
    raw_cart.max_depth = depth;
    O2C_ASSIGN_OR_RETURN(ml::DecisionTree raw_tree, ml::TrainCart(raw_train, raw_cart));
    Row row{absl::StrCat("CART depth<=", depth),
            absl::StrCat("raw words (", raw.num_features(), ")")};
    score([&](auto x) { return raw_tree.Predict(x).label; }, raw_test, row);
    row.size = absl::StrCat(raw_tree.nodes.size(), " nodes, ", Leaves(raw_tree), " leaves");
    MeasureInKernel({&raw_tree, 1}, raw_test, row);
    rows.push_back(row);
  }

  std::printf("%-34s %-18s %8s %8s %8s  %-26s %-26s  %-24s %-10s %12s  %s\n", "model",
              "features", "accuracy", "F1", "FPR", "miss rate at kfree", "miss rate at kmem_cache_free",
              "size", "BPF insns", "ns/inference", "verifier");
  for (const Row& r : rows) {
    std::printf("%-34s %-18s %8.4f %8.4f %8.4f  %-26s %-26s  %-24s %-10s %12s  %s\n",
                r.model.c_str(), r.features.c_str(), r.held_out.Accuracy(),
                r.held_out.F1(kPreparePositive), r.held_out.FalsePositiveRate(kPreparePositive),
                MissRate(r, kFreePathKfree).c_str(), MissRate(r, kFreePathKmemCacheFree).c_str(),
                r.size.c_str(), r.insns.c_str(), r.ns.c_str(), r.verifier.c_str());
  }
  std::printf(
      "\nheld out by time: the last %d rows recorded (the SHUFFLED row: a random 20%%). F1,\n"
      "FPR and miss rate with 'kernel' as the positive class (FPR: own objects the enforcer\n"
      "would call violations; miss rate: kernel objects it would call own), miss rates with\n"
      "95%% Wilson intervals. ns: BPF_PROG_TEST_RUN, XDP packet form, repeat %u, mean over\n"
      "%d held-out samples, loop overhead included.\n",
      test.num_rows(), kRepeat, kTimedSamples);
  return absl::OkStatus();
}

}  // namespace
}  // namespace o2c

int main(int argc, char** argv) {
  absl::Status s = o2c::Run(argc, argv);
  if (!s.ok()) {
    std::fprintf(stderr, "model_study: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  return 0;
}
