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
// Labels: own for an object allocated at a compartment allocation site while
// profiling and freed at a compartment free site; kernel for an object freed
// by code outside the compartment, sampled 1 in `negative_rate`. Features are
// the enforcer's: they describe the object, never where it is freed, so the
// model cannot learn the labelling rule itself. Profiling is system-wide:
// every process's frees count, not only the workload's.
//
// Evaluation is held out by time: samples stay in the order the profiler
// recorded them, and the model is scored on the last stretch of them (and
// cross-validated on contiguous blocks), never on rows shuffled among their
// near-copies from the same burst; per free path too, with confidence
// intervals.
//
// Prepare prints nothing; progress goes to PrepareOptions::on_progress. It
// writes the data the enforcer and later training read, into out_dir:
// dataset.csv, dataset.o2cd (with a free_path column, which is no feature:
// `o2c train` drops it, `o2c evaluate` reports per path with it),
// model.o2cm (and dataset_raw.{csv,o2cd} with raw words). Presentation (a
// report, metrics text, a picture of the tree) is the caller's, from the
// returned PrepareResult.
#ifndef O2C_PREPARE_H_
#define O2C_PREPARE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "o2c/audition_model.h"
#include "o2c/ml/cross_validation.h"
#include "o2c/ml/dataset.h"
#include "o2c/ml/metrics.h"
#include "o2c/policy.h"

namespace o2c {

// The audition classes: labels of the dataset and of the trained model.
inline constexpr int kKernelLabel = 0;
inline constexpr int kOwnLabel = 1;
// The positive class of the reported metrics: a kernel object, whose miss
// would let an exploit free it; a false positive is an own object that the
// enforcer would call a violation.
inline constexpr int kPreparePositive = kKernelLabel;

// {"kernel", "own"}, index = label. A static list, valid forever.
const std::vector<std::string>& AuditionClassNames();

// The dataset column that says which function freed each sample's object.
// It describes the row, not the object: never a feature (features.h).
inline constexpr char kFreePathColumn[] = "free_path";
inline constexpr int64_t kFreePathKfree = 0;
inline constexpr int64_t kFreePathKmemCacheFree = 1;
// The free_path column's spec: its name, meaning and value names.
const ml::FeatureSpec& FreePathSpec();

// How profiling is going, while the workload runs.
struct PrepareProgress {
  double seconds = 0;           // since the workload started
  int64_t own_samples = 0;      // received so far
  int64_t kernel_samples = 0;
  uint64_t samples_lost = 0;    // the sample ring was full
  bool done = false;            // the last report: the workload has ended
};

// The profiler's counters at the end of profiling.
struct ProfileStats {
  uint64_t tracked_allocations = 0;       // compartment allocations tracked
  uint64_t own_samples = 0;               // tracked objects freed at a compartment free site
  uint64_t kernel_samples = 0;            // untracked objects freed outside compartment code
  uint64_t kernel_frees_not_sampled = 0;  // the other negative_rate - 1 in negative_rate
  uint64_t tracked_freed_elsewhere = 0;   // tracked objects freed outside the free sites
  uint64_t untracked_freed_at_site = 0;   // older than profiling: neither class
  uint64_t tracking_map_full = 0;         // allocations not tracked: the map was full
  uint64_t samples_lost = 0;              // the sample ring was full
  uint64_t tracked_in_overflow = 0;       // tracked in the overflow map (bucket full)
  uint64_t raw_reads_failed = 0;          // raw words unreadable (sample kept, raw zeroed)
};

struct PrepareOptions {
  std::string workload;         // run as /bin/sh -c WORKLOAD; must exit 0
  std::string out_dir;          // created if missing
  uint32_t negative_rate = 64;  // keep 1 in N frees by the rest of the kernel
  int max_depth = 8;            // CART depth limit
  bool balanced = false;        // CART class weights inverse to class frequency
  double test_fraction = 0.2;   // held-out rows: the last ones recorded
  int folds = 5;                // k contiguous blocks of cross-validation (0: none)
  uint64_t seed = 1;            // splits
  bool raw_words = false;       // also build raw_dataset: the object's first 8-byte words
  bool check_in_kernel = true;  // run the compiled tree over the dataset in the kernel
  // Called on Prepare's thread about ten times a second while the workload
  // runs, then once with done = true. Null: nothing is reported.
  std::function<void(const PrepareProgress&)> on_progress;
};

struct PrepareResult {
  std::string compartment_name;         // the resolved compartment's
  bool exact_free_sites = false;        // free sites are exact call sites (else code ranges)
  std::string slab_lookup;              // how the extractor found objects' slabs here
  ml::Dataset dataset;                  // the extractor's features, in recorded order
  std::vector<int64_t> free_path;       // per dataset row: kFreePathKfree or ...KmemCacheFree
  std::optional<ml::Dataset> raw_dataset;  // raw words (PrepareOptions::raw_words)
  std::optional<AuditionModel> model;   // trained on the training split
  ml::ConfusionMatrix held_out;         // on the held-out split
  int held_out_rows = 0;                // the last held_out_rows of dataset
  // The held-out split per free path (key: kFreePath*).
  std::map<int64_t, ml::ConfusionMatrix> held_out_by_path;
  // What carries the model's decision: impurity importances per feature, and
  // the share of held-out rows whose path compares each feature.
  std::vector<double> importances;
  std::vector<double> path_shares;
  std::optional<ml::CrossValidationResult> cross_validation;  // blocked folds
  ProfileStats stats;
  double profile_seconds = 0;
  // In-kernel check: rows run through the compiled tree, and disagreements
  // with the host model (label or leaf).
  int kernel_checked = 0;
  int kernel_disagreements = 0;
  size_t bpf_insns = 0;            // the compiled tree's size
  std::vector<std::string> files;  // written into out_dir, full paths
};

// The whole phase: resolves the compartment, profiles, trains, writes the
// data files, checks the compiled tree in the kernel. Needs root (loads BPF)
// and blocks until the workload ends; call it from one thread at a time (the
// profiler is system-wide). Errors: InvalidArgument for an empty workload;
// FailedPrecondition naming the workload and its exit status when it fails,
// "no positive samples" when the compartment allocated nothing under it,
// "no negative samples" when nothing else was sampled; errno-based errors
// naming out_dir when it cannot be written (checked before profiling);
// Internal when the compiled tree disagrees with the host model.
absl::StatusOr<PrepareResult> Prepare(const Policy& policy, const PrepareOptions& options);

}  // namespace o2c

#endif  // O2C_PREPARE_H_
