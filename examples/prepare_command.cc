// o2c prepare: the preparation phase. Profiles a policy's compartment under
// a workload (drawing a progress bar on stderr), builds the labelled dataset,
// trains the audition tree, checks the compiled tree in the kernel; Prepare
// writes the datasets and the model to --out, this command adds metrics.txt,
// tree.dot, tree.png and report.md.
//
//   o2c prepare --policy F --workload "CMD" --out DIR [--negative-rate 64]
//               [--max-depth 8] [--balanced] [--folds 5] [--seed 1]
//               [--raw-words] [--expected-seconds 5] [--victim-rounds 100]
//
// Then the model's miss rate on the victims (o2c victims, with the built-in
// victim workload run --victim-rounds times; 0: skipped) is printed and
// added to report.md; the victims' features go to victims.csv.
#include <algorithm>
#include <cstdio>
#include <string>

#include "examples/cli_args.h"
#include "examples/commands.h"
#include "examples/prepare_report.h"
#include "examples/progress_bar.h"
#include "o2c/ml/dataset_csv.h"
#include "o2c/policy.h"
#include "o2c/prepare.h"
#include "o2c/victims/measure_victims.h"

namespace o2c::cli {

const CommandHelp kPrepareHelp = {
    .name = "prepare",
    .summary = "profile a compartment under a workload, build the dataset, train, check",
    .description = "The preparation phase: profiles a compartment under a workload, builds the "
               "labelled dataset, trains the audition tree, checks it in the kernel, writes a "
               "report.",
    .flags = {{"policy", "FILE", "the compartment's policy", true},
              {"workload", "CMD", "a shell command that exercises the compartment", true},
              {"out", "DIR", "where the datasets, the model and the report go", true},
              {"negative-rate", "N", "keep 1 in N frees by the rest of the kernel (default 64)"},
              {"max-depth", "D", "the tree's maximum depth (default 8)"},
              {"balanced", "", "class weights inverse to class frequency"},
              {"folds", "K", "k of the cross-validation, 0 for none (default 5)"},
              {"seed", "S", "seed of the split and the sampling (default 1)"},
              {"raw-words", "", "also build a dataset of the objects' first 8-byte words"},
              {"expected-seconds", "S", "the workload's expected run time, for the progress bar "
                                        "(default 5)"},
              {"victim-rounds", "N", "rounds of the victim workload for the victims' miss rate, 0 "
                                     "to skip (default 100)"}},
    .example = "sudo o2c prepare --policy testdata/policies/pipe.policy "
               "--workload \"tools/workloads/pipe_workload.sh 3\" --out /tmp/pipe",
};

int PrepareCommand(int argc, char** argv) {
  Args args(argc, argv, kPrepareHelp);
  absl::StatusOr<std::string> policy_path = args.Require("policy");
  absl::StatusOr<std::string> workload = args.Require("workload");
  absl::StatusOr<std::string> out = args.Require("out");
  absl::StatusOr<long long> negative_rate = args.GetInt("negative-rate", 64);
  absl::StatusOr<long long> max_depth = args.GetInt("max-depth", 8);
  absl::StatusOr<long long> folds = args.GetInt("folds", 5);
  absl::StatusOr<long long> seed = args.GetInt("seed", 1);
  absl::StatusOr<double> expected = args.GetDouble("expected-seconds", 5);
  absl::StatusOr<long long> victim_rounds = args.GetInt("victim-rounds", 100);
  const bool balanced = args.Has("balanced");
  const bool raw_words = args.Has("raw-words");
  for (const absl::Status& s :
       {policy_path.status(), workload.status(), out.status(), negative_rate.status(),
        max_depth.status(), folds.status(), seed.status(), expected.status(),
        victim_rounds.status(), args.Finish()}) {
    if (!s.ok()) return ReportFailure("prepare", s);
  }
  if (*negative_rate < 0 || *negative_rate > (1LL << 31)) {
    return ReportFailure("prepare", absl::InvalidArgumentError("--negative-rate must be in [0, 2^31]"));
  }
  if (*victim_rounds < 0 || *victim_rounds > 1000000) {
    return ReportFailure("prepare", absl::InvalidArgumentError("--victim-rounds must be in [0, 10^6]"));
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
  if (*victim_rounds == 0) return 0;

  victims::HarvestOptions harvest;
  harvest.rounds = static_cast<int>(*victim_rounds);
  std::fprintf(stderr, "o2c prepare: the model's miss rate on victims (%d rounds)\n",
               harvest.rounds);
  absl::StatusOr<victims::VictimMeasurement> measured =
      victims::MeasureVictimMissRates(*policy, *r->model, harvest);
  if (!measured.ok()) return ReportFailure("prepare: victims", measured.status());
  std::printf("\nvictims:\n%s", victims::FormatMissRates(measured->rates).c_str());
  absl::StatusOr<std::string> appended = AppendVictimsToReport(options, measured->rates);
  if (!appended.ok()) return ReportFailure("prepare", appended.status());
  std::printf("added the victims to %s\n", appended->c_str());
  const std::string csv = options.out_dir + "/victims.csv";
  absl::Status written = ml::WriteDatasetCsv(victims::WithVictimTypeColumn(measured->harvest), csv);
  if (!written.ok()) return ReportFailure("prepare", written);
  std::printf("wrote %s\n", csv.c_str());
  return 0;
}

}  // namespace o2c::cli
