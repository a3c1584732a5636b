// bench/cart_vs_sklearn: our CART (o2c/ml/cart.h) against scikit-learn's
// DecisionTreeClassifier on the same rows, same depth and leaf settings.
// Each round trains ours on one thread, ours on --threads threads and
// sklearn (one thread), in turn, so noise from other load on the machine
// hits all three alike; prints held-out accuracies, median training times
// and the speed ratios. Not a test: run by hand,
//
//   bazel run -c opt //bench:cart_vs_sklearn                 # synthetic 1e6x32 and 1e5x1024
//   bazel run -c opt //bench:cart_vs_sklearn -- --data=$PWD/D.csv   # a real dataset
//
// The synthetic data come from a fixed seed; each dataset is written once to
// a temporary raw int64 file that sklearn's side (/usr/bin/python3
// bench/cart_vs_sklearn.py) reads. Targets: accuracy within 0.5 points,
// >= 3x faster.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "o2c/ml/cart.h"
#include "o2c/ml/dataset_csv.h"
#include "o2c/ml/split.h"

ABSL_FLAG(std::string, data, "", "a dataset CSV (o2c/ml/dataset_csv.h) instead of the synthetic ones");
ABSL_FLAG(std::string, synthetic, "1000000x32,100000x1024", "synthetic shapes, rows x cols");
ABSL_FLAG(int, max_depth, 12, "max_depth of both trees");
ABSL_FLAG(int, min_samples_leaf, 1, "min_samples_leaf of both trees");
ABSL_FLAG(std::string, criterion, "gini", "gini or entropy");
ABSL_FLAG(int, rounds, 3, "interleaved rounds of ours (1 thread, --threads) and sklearn; medians");
ABSL_FLAG(int, threads, 2, "threads of our second column (sklearn's trees use one)");
ABSL_FLAG(uint64_t, seed, 1, "seed of the synthetic data and the split");
ABSL_FLAG(double, test_fraction, 0.2, "held-out fraction");

namespace o2c::ml {
namespace {

// Rows x cols integers; the label is a fixed rule over the first 8 columns
// (a weighted sum plus one interaction) with 5% of the labels flipped, so a
// depth-12 tree does well but not perfectly. Wide data are byte-valued,
// like the paper's raw object-content features.
Dataset Synthetic(int rows, int cols, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const int64_t range = cols > 64 ? 256 : 1000;
  const int informative = std::min(cols, 8);
  std::vector<double> w(informative);
  for (double& v : w) v = static_cast<double>(rng() % 1000) / 1000.0 - 0.3;
  Dataset d;
  d.features.resize(rows, cols);
  d.labels.resize(rows);
  for (int r = 0; r < rows; ++r) {
    double score = 0;
    for (int c = 0; c < cols; ++c) {
      const int64_t v = static_cast<int64_t>(rng() % range);
      d.features(r, c) = v;
      if (c < informative) score += w[c] * static_cast<double>(v) / range;
    }
    if (cols >= 2 && d.features(r, 0) > range / 2 && d.features(r, 1) < range / 3) score += 0.4;
    bool label = score > 0.35 * informative * 0.45;
    if (rng() % 100 < 5) label = !label;
    d.labels[r] = label;
  }
  for (int c = 0; c < cols; ++c) d.schema.features.push_back({absl::StrCat("x", c), "", {}});
  return d;
}

// Writes rows in `order` as raw int64 (features then label): sklearn's input.
bool WriteMatrix(const Dataset& d, const std::vector<int32_t>& order, const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  std::vector<int64_t> row(d.num_features() + 1);
  for (int32_t r : order) {
    for (int c = 0; c < d.num_features(); ++c) row[c] = d.features(r, c);
    row.back() = d.labels[r];
    out.write(reinterpret_cast<const char*>(row.data()), row.size() * sizeof(int64_t));
  }
  return static_cast<bool>(out);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// The script in the runfiles (bazel run, or the binary run by path), else
// relative to the workspace.
std::string ScriptPath(const char* argv0) {
  const std::filesystem::path runfiles = std::filesystem::absolute(
      std::string(argv0) + ".runfiles/o2c/bench/cart_vs_sklearn.py");
  if (std::filesystem::exists(runfiles)) return runfiles.string();
  if (const char* dir = std::getenv("RUNFILES_DIR"); dir != nullptr) {
    const std::string path = std::string(dir) + "/o2c/bench/cart_vs_sklearn.py";
    if (std::filesystem::exists(path)) return path;
  }
  return "bench/cart_vs_sklearn.py";
}

struct SklearnResult {
  bool ok = false;
  double accuracy = 0, seconds = 0;
  long nodes = 0;
};

SklearnResult RunSklearn(const std::string& script, const std::string& matrix, int rows, int cols,
                         int train_rows) {
  const std::string cmd = absl::StrFormat(
      "/usr/bin/python3 %s --matrix %s --rows %d --cols %d --train-rows %d --max-depth %d "
      "--min-samples-leaf %d --criterion %s --repeats 1 --seed %d",
      script, matrix, rows, cols, train_rows, absl::GetFlag(FLAGS_max_depth),
      absl::GetFlag(FLAGS_min_samples_leaf), absl::GetFlag(FLAGS_criterion),
      absl::GetFlag(FLAGS_seed));
  SklearnResult result;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return result;
  char line[512];
  while (std::fgets(line, sizeof(line), pipe) != nullptr) {
    if (std::sscanf(line, "sklearn accuracy %lf seconds %lf nodes %ld", &result.accuracy,
                    &result.seconds, &result.nodes) == 3) {
      result.ok = true;
    }
  }
  if (pclose(pipe) != 0) result.ok = false;
  return result;
}

void PrintHeader() {
  std::printf("%-22s %7s %5s %5s | %7s %7s %7s %7s | %7s %7s %7s | %6s %6s | %5s %6s\n", "dataset",
              "train", "cols", "depth", "acc_1t", "acc_Nt", "skl_acc", "diff_pt", "s_1t", "s_Nt",
              "skl_s", "x_1t", "x_Nt", "nodes", "skl_nd");
}

// Our held-out accuracy and one training time (trainer creation included).
struct OursResult {
  bool ok = false;
  double accuracy = 0, seconds = 0;
  size_t nodes = 0;
};

OursResult RunOurs(const Dataset& train, const Dataset& test, CartOptions options, int threads) {
  options.num_threads = threads;
  OursResult result;
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<CartTrainer> trainer = CartTrainer::Create(train, threads);
  absl::StatusOr<DecisionTree> tree =
      trainer.ok() ? trainer->Train(options) : absl::StatusOr<DecisionTree>(trainer.status());
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!tree.ok()) {
    std::fprintf(stderr, "%s\n", std::string(tree.status().message()).c_str());
    return result;
  }
  int64_t correct = 0;
  std::vector<int64_t> row(test.num_features());
  for (int r = 0; r < test.num_rows(); ++r) {
    for (int c = 0; c < test.num_features(); ++c) row[c] = test.features(r, c);
    correct += tree->Predict(row).label == test.labels[r];
  }
  result.accuracy = test.num_rows() ? static_cast<double>(correct) / test.num_rows() : 0;
  result.nodes = tree->nodes.size();
  result.ok = true;
  return result;
}

int Compare(const std::string& name, const Dataset& data, const std::string& script,
            const std::string& tmpdir) {
  const uint64_t seed = absl::GetFlag(FLAGS_seed);
  Split split = TrainTestSplit(data.num_rows(), absl::GetFlag(FLAGS_test_fraction), seed);
  Dataset train = data.Subset(split.train);
  Dataset test = data.Subset(split.test);

  CartOptions options;
  absl::StatusOr<Criterion> criterion = ParseCriterion(absl::GetFlag(FLAGS_criterion));
  if (!criterion.ok()) {
    std::fprintf(stderr, "%s\n", std::string(criterion.status().message()).c_str());
    return 1;
  }
  options.criterion = *criterion;
  options.max_depth = absl::GetFlag(FLAGS_max_depth);
  options.min_samples_leaf = absl::GetFlag(FLAGS_min_samples_leaf);

  std::vector<int32_t> order = split.train;
  order.insert(order.end(), split.test.begin(), split.test.end());
  const std::string matrix = tmpdir + "/" + name + ".i64";
  if (!WriteMatrix(data, order, matrix)) {
    std::fprintf(stderr, "%s: cannot write %s\n", name.c_str(), matrix.c_str());
    return 1;
  }
  absl::Cleanup remove_matrix = [&matrix] { std::filesystem::remove(matrix); };
  const int threads = absl::GetFlag(FLAGS_threads);
  std::vector<double> one_s, many_s, skl_s;
  OursResult one, many;
  SklearnResult skl;
  for (int round = 0; round < absl::GetFlag(FLAGS_rounds); ++round) {
    one = RunOurs(train, test, options, 1);
    many = RunOurs(train, test, options, threads);
    skl = RunSklearn(script, matrix, data.num_rows(), data.num_features(), train.num_rows());
    if (!one.ok || !many.ok || !skl.ok) {
      std::fprintf(stderr, "%s: %s failed\n", name.c_str(), !skl.ok ? "sklearn" : "our CART");
      return 1;
    }
    one_s.push_back(one.seconds);
    many_s.push_back(many.seconds);
    skl_s.push_back(skl.seconds);
  }
  const double s1 = Median(one_s), sn = Median(many_s), ss = Median(skl_s);
  std::printf("%-22s %7d %5d %5d | %7.4f %7.4f %7.4f %+7.2f | %7.2f %7.2f %7.2f | %5.1fx %5.1fx | %5zu %6ld\n",
              name.c_str(), train.num_rows(), data.num_features(), options.max_depth, one.accuracy,
              many.accuracy, skl.accuracy, 100 * (one.accuracy - skl.accuracy), s1, sn, ss, ss / s1,
              ss / sn, one.nodes, skl.nodes);
  std::fflush(stdout);
  return 0;
}

}  // namespace
}  // namespace o2c::ml

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string script = o2c::ml::ScriptPath(argv[0]);
  char tmpl[] = "/tmp/cart_vs_sklearn.XXXXXX";
  if (mkdtemp(tmpl) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::string tmpdir = tmpl;
  absl::Cleanup remove_tmpdir = [&tmpdir] { std::filesystem::remove_all(tmpdir); };
  std::printf("our CART on 1 (_1t) and %d (_Nt) threads vs sklearn DecisionTreeClassifier on 1; "
              "medians of %d interleaved rounds; held-out %.0f%%; x = sklearn time / ours\n",
              absl::GetFlag(FLAGS_threads), absl::GetFlag(FLAGS_rounds),
              100 * absl::GetFlag(FLAGS_test_fraction));
  o2c::ml::PrintHeader();
  int failures = 0;
  if (!absl::GetFlag(FLAGS_data).empty()) {
    absl::StatusOr<o2c::ml::Dataset> data = o2c::ml::ReadDatasetCsv(absl::GetFlag(FLAGS_data));
    if (!data.ok()) {
      std::fprintf(stderr, "%s\n", std::string(data.status().message()).c_str());
      return 1;
    }
    failures += o2c::ml::Compare("data", *data, script, tmpdir);
  } else {
    for (absl::string_view shape : absl::StrSplit(absl::GetFlag(FLAGS_synthetic), ',')) {
      int rows = 0, cols = 0;
      if (std::sscanf(std::string(shape).c_str(), "%dx%d", &rows, &cols) != 2) {
        std::fprintf(stderr, "--synthetic: '%s' is not ROWSxCOLS\n", std::string(shape).c_str());
        return 1;
      }
      o2c::ml::Dataset data = o2c::ml::Synthetic(rows, cols, absl::GetFlag(FLAGS_seed));
      failures += o2c::ml::Compare(absl::StrCat("synthetic_", rows, "x", cols), data, script, tmpdir);
    }
  }
  return failures == 0 ? 0 : 1;
}
