// o2c::Prepare: the preparation phase. Profiles a policy's compartment on the
// running kernel under a workload, builds the labelled dataset from real
// objects, trains the audition tree, and checks that the BPF program
// compiled from it decides as the host model does:
//
//   O2C_ASSIGN_OR_RETURN(o2c::Policy policy, o2c::Policy::FromFile("pipe.policy"));
//   o2c::PrepareOptions options;
//   options.workload = "tools/workloads/pipe_workload.sh";
//   options.out_dir = "/tmp/pipe-prep";
//   O2C_ASSIGN_OR_RETURN(o2c::PrepareResult r, o2c::Prepare(policy, options));
//
// Labels (o2c/bpf/profiler.bpf.c): OWN for an object allocated at a
// compartment allocation site while profiling and freed at a compartment free
// site; KERNEL for an object freed by code outside the compartment, sampled
// 1 in `negative_rate`. Features are the enforcer's (o2c/bpf/features.h): they
// describe the object, never where it is freed, so the model cannot learn the
// labelling rule itself. Profiling is system-wide: every process's frees
// count, not only the workload's.
//
// Writes to out_dir: dataset.csv, dataset.o2cd, model.o2cm, metrics.txt,
// tree.dot, tree.png, report.md (and dataset_raw.{csv,o2cd} with raw words).
#ifndef O2C_PREPARE_H_
#define O2C_PREPARE_H_

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "o2c/audition_model.h"
#include "o2c/bpf/kernel/kallsyms.h"
#include "o2c/bpf/profiler.h"
#include "o2c/bpf/profiler_programs.h"
#include "o2c/compartment.h"
#include "o2c/ml/cross_validation.h"
#include "o2c/ml/dataset.h"
#include "o2c/ml/metrics.h"
#include "o2c/policy.h"

namespace o2c {

struct PrepareOptions {
  std::string workload;         // run as /bin/sh -c WORKLOAD; must exit 0
  std::string out_dir;          // created if missing
  uint32_t negative_rate = 64;  // keep 1 in N frees by the rest of the kernel
  int max_depth = 8;            // CART depth limit
  bool balanced = false;        // CART class weights inverse to class frequency
  double test_fraction = 0.2;   // held-out rows
  int folds = 5;                // k of the k-fold cross-validation (0: none)
  uint64_t seed = 1;            // splits
  bool raw_words = false;       // also build dataset_raw: O2C_PROFILE_RAW_WORDS raw words
  bool check_in_kernel = true;  // run the compiled tree over the dataset in the kernel
  // Progress bar and live sample counts (null: quiet). The bar fills over
  // expected_seconds; the workload may take longer.
  FILE* progress = stderr;
  double expected_seconds = 5;
};

// What profiling saw.
struct ProfileResult {
  std::vector<o2c_sample> samples;
  bpf::ProfilerStats stats{};
  double seconds = 0;
};

struct PrepareResult {
  ml::Dataset dataset;                 // the extractor's features
  std::optional<ml::Dataset> raw_dataset;  // raw words (PrepareOptions::raw_words)
  std::optional<AuditionModel> model;  // trained on the training split
  ml::ConfusionMatrix held_out;        // on the held-out split
  std::optional<ml::CrossValidationResult> cross_validation;
  bpf::ProfilerStats stats{};
  double profile_seconds = 0;
  // In-kernel check: rows run through the compiled tree, and disagreements
  // with the host model (label or leaf).
  int kernel_checked = 0;
  int kernel_disagreements = 0;
  size_t bpf_insns = 0;  // the compiled tree's size
  std::vector<std::string> files;  // written, full paths
  std::string report;               // report.md's text
};

// The positive class of the reported metrics: a kernel object, whose miss
// would let an exploit free it; a false positive is an own object that the
// enforcer would call a violation.
inline constexpr int kPreparePositive = 0;  // O2C_LABEL_KERNEL

// Runs `workload` (/bin/sh -c) with the profiler attached for `compartment`;
// FailedPrecondition naming the workload and its exit status if it fails.
absl::StatusOr<ProfileResult> ProfileWorkload(const Compartment& compartment,
                                              const Policy& policy,
                                              const bpf::Kallsyms& kallsyms,
                                              const PrepareOptions& options);

// The labelled datasets of `samples`: the extractor's features (schema
// bpf::ExtractorFeatureSchema()), or the raw words (RawWordsSchema).
ml::Dataset FeatureDataset(const std::vector<o2c_sample>& samples);
ml::Dataset RawWordsDataset(const std::vector<o2c_sample>& samples);
// "raw0" .. "raw<words-1>": the object's 8-byte words as signed integers.
ml::FeatureSchema RawWordsSchema(int words);
// {"kernel", "own"}, index = label.
const std::vector<std::string>& AuditionClassNames();

// The whole phase: resolves the compartment, profiles, trains, writes the
// files, checks the compiled tree in the kernel. FailedPrecondition "no
// positive samples" when the compartment allocated nothing under the
// workload; errno-based errors naming out_dir when it cannot be written.
absl::StatusOr<PrepareResult> Prepare(const Policy& policy, const PrepareOptions& options);

}  // namespace o2c

#endif  // O2C_PREPARE_H_
