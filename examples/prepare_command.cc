// o2c prepare: the preparation phase. Profiles a policy's compartment under
// a workload (drawing a progress bar on stderr), builds the labelled dataset,
// trains the audition tree, checks the compiled tree in the kernel; Prepare
// writes the datasets and the model to --out, this command adds metrics.txt,
// tree.dot, tree.png and report.md.
//
//   o2c prepare --policy F --workload "CMD" --out DIR [--negative-rate 64]
//               [--max-depth 8] [--balanced] [--folds 5] [--seed 1]
//               [--raw-words] [--expected-seconds 5]
#include <algorithm>
#include <cstdio>
#include <string>

#include "examples/cli_args.h"
#include "examples/commands.h"
#include "examples/prepare_report.h"
#include "examples/progress_bar.h"
#include "o2c/policy.h"
#include "o2c/prepare.h"

namespace o2c::cli {

int PrepareCommand(int argc, char** argv) {
  Args args(argc, argv);
  absl::StatusOr<std::string> policy_path = args.Require("policy");
  absl::StatusOr<std::string> workload = args.Require("workload");
  absl::StatusOr<std::string> out = args.Require("out");
  absl::StatusOr<long long> negative_rate = args.GetInt("negative-rate", 64);
  absl::StatusOr<long long> max_depth = args.GetInt("max-depth", 8);
  absl::StatusOr<long long> folds = args.GetInt("folds", 5);
  absl::StatusOr<long long> seed = args.GetInt("seed", 1);
  absl::StatusOr<double> expected = args.GetDouble("expected-seconds", 5);
  const bool balanced = args.Has("balanced");
  const bool raw_words = args.Has("raw-words");
  for (const absl::Status& s :
       {policy_path.status(), workload.status(), out.status(), negative_rate.status(),
        max_depth.status(), folds.status(), seed.status(), expected.status(), args.Finish()}) {
    if (!s.ok()) return ReportFailure("prepare", s);
  }
  if (*negative_rate < 0 || *negative_rate > (1LL << 31)) {
    return ReportFailure("prepare", absl::InvalidArgumentError("--negative-rate must be in [0, 2^31]"));
  }
  absl::StatusOr<Policy> policy = Policy::FromFile(*policy_path);
  if (!policy.ok()) return ReportFailure("prepare", policy.status());

  PrepareOptions options;
  options.workload = *workload;
  options.out_dir = *out;
  options.negative_rate = static_cast<uint32_t>(*negative_rate);
  options.max_depth = static_cast<int>(*max_depth);
  options.folds = static_cast<int>(*folds);
  options.seed = static_cast<uint64_t>(*seed);
  options.balanced = balanced;
  options.raw_words = raw_words;
  options.on_progress = ProgressBar(stderr, *expected);
  std::fprintf(stderr, "o2c prepare: compartment of %s under '%s'\n", policy_path->c_str(),
               workload->c_str());
  absl::StatusOr<PrepareResult> r = Prepare(*policy, options);
  if (!r.ok()) return ReportFailure("prepare", r.status());
  absl::StatusOr<std::vector<std::string>> report = WritePrepareReport(*policy, options, *r);
  if (!report.ok()) return ReportFailure("prepare", report.status());

  const ml::Dataset& d = r->dataset;
  const auto own = std::count(d.labels.begin(), d.labels.end(), kOwnLabel);
  std::printf("dataset: %d samples: %ld own, %ld kernel (1 in %u sampled)\n", d.num_rows(),
              static_cast<long>(own), static_cast<long>(d.num_rows() - own),
              options.negative_rate);
  std::printf("held-out (%lld rows): accuracy %.4f, F1 %.4f, FPR %.4f (positive: kernel)\n",
              static_cast<long long>(r->held_out.total()), r->held_out.Accuracy(),
              r->held_out.F1(kPreparePositive), r->held_out.FalsePositiveRate(kPreparePositive));
  if (r->cross_validation) {
    std::printf("%d-fold CV: accuracy %.4f +- %.4f\n", options.folds,
                r->cross_validation->mean_accuracy, r->cross_validation->stddev_accuracy);
  }
  std::printf("in the kernel: %d rows, %d disagreements, %zu BPF instructions\n",
              r->kernel_checked, r->kernel_disagreements, r->bpf_insns);
  for (const std::string& f : r->files) std::printf("wrote %s\n", f.c_str());
  for (const std::string& f : *report) std::printf("wrote %s\n", f.c_str());
  return 0;
}

}  // namespace o2c::cli
