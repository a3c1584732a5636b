#include "o2c/prepare.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "o2c/bpf/enforcer.h"
#include "o2c/bpf/extractor_schema.h"
#include "o2c/bpf/kernel/capabilities.h"
#include "o2c/bpf/codegen/tree_program.h"
#include "o2c/bpf/kernel/kallsyms.h"
#include "o2c/bpf/loader/kmem_hooks.h"
#include "o2c/bpf/loader/slab_lookup.h"
#include "o2c/bpf/profiler.h"
#include "o2c/bpf/profiler_programs.h"
#include "o2c/compartment.h"
#include "o2c/internal/compartment_ranges.h"
#include "o2c/internal/file_util.h"
#include "o2c/internal/status_macros.h"
#include "o2c/ml/cart.h"
#include "o2c/ml/dataset_csv.h"
#include "o2c/ml/dataset_file.h"
#include "o2c/ml/explain.h"
#include "o2c/ml/split.h"

namespace o2c {
namespace {

static_assert(kKernelLabel == O2C_LABEL_KERNEL && kOwnLabel == O2C_LABEL_OWN,
              "the public labels are the kernel programs'");

using Clock = std::chrono::steady_clock;

// Where the profiler looks. Exact call sites where the code could be read;
// a tail-jumping free (free_pipe_info's `jmp kfree`) is reported at its
// function's caller, so such frees, and unreadable code, make every call_site
// inside compartment code a free site (the enforcer's rule too).
absl::StatusOr<bpf::ProfilerConfig> ProfilerConfigFor(const Compartment& compartment,
                                                      const Policy& policy,
                                                      const bpf::Kallsyms& kallsyms,
                                                      const PrepareOptions& options) {
  static const bpf::KernelCapabilities* features =
      new bpf::KernelCapabilities(bpf::KernelCapabilities::Probe());
  bpf::ProfilerConfig config;
  O2C_ASSIGN_OR_RETURN(config.flavor, bpf::ChooseKmemHookFlavor(*features));
  O2C_ASSIGN_OR_RETURN(config.kernel_text, kallsyms.KernelText());
  CompartmentRanges ranges = RangesOf(compartment);
  config.code = ranges.code;
  config.alloc_sites = ranges.alloc_sites;
  config.free_sites = ranges.free_sites;
  config.alloc_wrappers = ranges.alloc_wrappers;
  config.negative_rate = options.negative_rate;
  config.raw_words = options.raw_words;
  // A raw record is 8 KiB: room for bursts of them (the default holds 512).
  if (options.raw_words) config.ringbuf_bytes = 1u << 26;
  if (policy.spec().limits().max_tracked_objects() > 0) {
    config.max_tracked = policy.spec().limits().max_tracked_objects();
  }
  return config;
}

std::string DescribeExit(int wstatus) {
  if (WIFEXITED(wstatus)) return absl::StrCat("exited with status ", WEXITSTATUS(wstatus));
  if (WIFSIGNALED(wstatus)) {
    return absl::StrCat("was killed by signal ", WTERMSIG(wstatus), " (",
                        strsignal(WTERMSIG(wstatus)), ")");
  }
  return absl::StrCat("ended with wait status ", wstatus);
}

// mkdir -p, then proves the directory writable by creating a file in it.
absl::Status MakeOutputDir(const std::string& dir) {
  if (dir.empty()) return absl::InvalidArgumentError("output directory: empty path");
  for (size_t i = 1; i <= dir.size(); ++i) {
    if (i < dir.size() && dir[i] != '/') continue;
    std::string prefix = dir.substr(0, i);
    if (mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
      return absl::ErrnoToStatus(errno, absl::StrCat("output directory '", dir, "': mkdir '",
                                                     prefix, "'"));
    }
  }
  const std::string probe = absl::StrCat(dir, "/.o2c_write_test");
  if (absl::Status s = internal::WriteFileBytes(probe, ""); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("output directory '", dir,
                                               "' cannot be written: ", s.message()));
  }
  unlink(probe.c_str());
  return absl::OkStatus();
}

int64_t CountLabel(const ml::Dataset& data, int label) {
  return std::count(data.labels.begin(), data.labels.end(), label);
}

// Runs the compiled tree over every row in the kernel (BPF_PROG_TEST_RUN)
// and counts rows where label or leaf differ from the host's.
absl::Status CheckInKernel(const AuditionModel& model, const ml::Dataset& data,
                           PrepareResult& result) {
  const ml::DecisionTree& tree = model.tree();
  bpf::CodegenOptions codegen{.long_jumps = bpf::KernelHasLongJumps()};
  O2C_ASSIGN_OR_RETURN(bpf::EmittedProgram program,
                       bpf::CompileAudition({&tree, 1}, bpf::AuditionForm::kSyscall, codegen,
                                            "o2c_prepare"));
  result.bpf_insns = program.insns.size();
  O2C_ASSIGN_OR_RETURN(bpf::ScopedFd fd, bpf::LoadAudition(program, bpf::AuditionForm::kSyscall));
  for (int i = 0; i < data.num_rows(); ++i) {
    std::vector<int64_t> row = data.Row(i);
    O2C_ASSIGN_OR_RETURN(o2c_verdict kernel, bpf::RunSyscallAudition(fd.get(), row));
    ml::TreePrediction host = tree.Predict(row);
    ++result.kernel_checked;
    if (kernel.label != host.label || kernel.leaf_id != host.leaf_id) {
      ++result.kernel_disagreements;
    }
  }
  return absl::OkStatus();
}

// "raw0" .. "raw<words-1>": the object's 8-byte words as signed integers.
ml::FeatureSchema RawWordsSchema(int words) {
  ml::FeatureSchema schema;
  for (int i = 0; i < words; ++i) {
    schema.features.push_back({absl::StrCat("raw", i),
                               absl::StrCat("the object's 8-byte word ", i, " (bytes ", 8 * i,
                                            "..", 8 * i + 7, ") as a signed integer"),
                               {}});
  }
  return schema;
}

// The labelled dataset of `samples`: `width` values per sample taken by
// `value(sample, column)`, under `schema`.
template <typename Value>
ml::Dataset SampleDataset(const std::vector<o2c_sample>& samples, ml::FeatureSchema schema,
                          int width, Value value) {
  ml::Dataset data;
  data.schema = std::move(schema);
  data.class_names = AuditionClassNames();
  data.features.resize(static_cast<Eigen::Index>(samples.size()), width);
  data.labels.reserve(samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    for (int c = 0; c < width; ++c) data.features(i, c) = value(samples[i], c);
    data.labels.push_back(samples[i].label);
  }
  return data;
}

// The extractor's features (schema bpf::ExtractorFeatureSchema()), computed
// from this kernel's objects.
ml::Dataset FeatureDataset(const std::vector<o2c_sample>& samples) {
  ml::FeatureSchema schema = bpf::ExtractorFeatureSchema();
  schema.kernel_release = bpf::RunningKernelRelease();
  return SampleDataset(samples, std::move(schema), O2C_F_COUNT,
                       [](const o2c_sample& s, int f) { return s.features[f]; });
}

// Which function freed each sample's object (o2c_sample.hook), in the
// dataset's row order.
std::vector<int64_t> FreePaths(const std::vector<o2c_sample>& samples) {
  std::vector<int64_t> paths;
  paths.reserve(samples.size());
  for (const o2c_sample& s : samples) {
    paths.push_back(s.hook == 0 ? kFreePathKfree : kFreePathKmemCacheFree);
  }
  return paths;
}

// The raw words (RawWordsSchema): `raw` holds O2C_PROFILE_RAW_WORDS per
// sample, in the samples' order.
ml::Dataset RawWordsDataset(const std::vector<o2c_sample>& samples,
                            const std::vector<uint64_t>& raw) {
  const o2c_sample* first = samples.data();
  return SampleDataset(samples, RawWordsSchema(O2C_PROFILE_RAW_WORDS), O2C_PROFILE_RAW_WORDS,
                       [&](const o2c_sample& s, int w) {
                         return static_cast<int64_t>(raw[(&s - first) * O2C_PROFILE_RAW_WORDS + w]);
                       });
}

ProfileStats NamedStats(const bpf::ProfilerStats& stats) {
  ProfileStats named;
  named.tracked_allocations = stats[O2C_PSTAT_TRACKED];
  named.own_samples = stats[O2C_PSTAT_POSITIVES];
  named.kernel_samples = stats[O2C_PSTAT_NEGATIVES];
  named.kernel_frees_not_sampled = stats[O2C_PSTAT_NEGATIVES_SKIPPED];
  named.tracked_freed_elsewhere = stats[O2C_PSTAT_TRACKED_FREED_ELSEWHERE];
  named.untracked_freed_at_site = stats[O2C_PSTAT_UNTRACKED_AT_SITE];
  named.tracking_map_full = stats[O2C_PSTAT_MAP_FULL];
  named.samples_lost = stats[O2C_PSTAT_SAMPLES_LOST];
  named.tracked_in_overflow = stats[O2C_PSTAT_OVERFLOWED];
  named.raw_reads_failed = stats[O2C_PSTAT_RAW_READ_FAILED];
  return named;
}
static_assert(O2C_PSTAT_COUNT == 10, "a new profiler counter needs a ProfileStats field");

// What profiling saw.
struct Profile {
  std::vector<o2c_sample> samples;
  std::vector<uint64_t> raw_words;  // O2C_PROFILE_RAW_WORDS per sample, if asked for
  ProfileStats stats;
  double seconds = 0;
};

// Runs the workload (/bin/sh -c) with the profiler attached for
// `compartment`; FailedPrecondition naming the workload and its exit status
// if it fails.
absl::StatusOr<Profile> ProfileWorkload(const Compartment& compartment, const Policy& policy,
                                        const bpf::Kallsyms& kallsyms,
                                        const PrepareOptions& options) {
  if (options.workload.empty()) return absl::InvalidArgumentError("workload: empty command");
  O2C_ASSIGN_OR_RETURN(bpf::ProfilerConfig config,
                       ProfilerConfigFor(compartment, policy, kallsyms, options));
  O2C_ASSIGN_OR_RETURN(std::unique_ptr<bpf::ProfilerPrograms> profiler,
                       bpf::ProfilerPrograms::Load(config));
  O2C_RETURN_IF_ERROR(profiler->Attach());

  Profile result;
  PrepareProgress progress;
  auto collect = [&](const o2c_sample& s, absl::Span<const __u64> raw) {
    result.samples.push_back(s);
    result.raw_words.insert(result.raw_words.end(), raw.begin(), raw.end());
    (s.label == O2C_LABEL_OWN ? progress.own_samples : progress.kernel_samples)++;
  };
  const Clock::time_point start = Clock::now();
  const pid_t child = fork();
  if (child < 0) return absl::ErrnoToStatus(errno, "workload: fork");
  if (child == 0) {
    execl("/bin/sh", "sh", "-c", options.workload.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int wstatus = 0;
  absl::Status poll_error;
  double reported = -1;
  for (;;) {
    absl::StatusOr<int> n = profiler->PollSamples(100, collect);
    if (!n.ok() && poll_error.ok()) poll_error = n.status();
    progress.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    // Ten reports a second, however busy the ring.
    if (options.on_progress && progress.seconds - reported >= 0.1) {
      absl::StatusOr<bpf::ProfilerStats> stats = profiler->ReadStats();
      if (stats.ok()) progress.samples_lost = (*stats)[O2C_PSTAT_SAMPLES_LOST];
      options.on_progress(progress);
      reported = progress.seconds;
    }
    pid_t done = waitpid(child, &wstatus, WNOHANG);
    if (done == child) break;
    if (done < 0 && errno != EINTR) {
      return absl::ErrnoToStatus(errno, "workload: waitpid");
    }
  }
  profiler->Detach();
  for (;;) {  // what was emitted before the detach
    absl::StatusOr<int> n = profiler->PollSamples(0, collect);
    if (!n.ok() || *n == 0) break;
  }
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  O2C_ASSIGN_OR_RETURN(bpf::ProfilerStats stats, profiler->ReadStats());
  result.stats = NamedStats(stats);
  if (options.on_progress) {
    progress.seconds = result.seconds;
    progress.samples_lost = result.stats.samples_lost;
    progress.done = true;
    options.on_progress(progress);
  }
  O2C_RETURN_IF_ERROR(poll_error);
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "workload '", options.workload, "' ", DescribeExit(wstatus),
        WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 127 ? " (command not found?)" : ""));
  }
  return result;
}

// Both classes must be there to train on.
absl::Status CheckBothClasses(const Policy& policy, const Compartment& compartment,
                              const PrepareOptions& options, const ml::Dataset& dataset,
                              const ProfileStats& stats) {
  if (CountLabel(dataset, kOwnLabel) == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no positive samples: the compartment allocated nothing under the workload (policy ",
        policy.source(), ", compartment '", compartment.name(), "': ",
        stats.tracked_allocations, " allocations tracked, ", compartment.alloc_sites().size(),
        " allocation sites); run a workload that uses it"));
  }
  if (CountLabel(dataset, kKernelLabel) == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no negative samples: nothing outside compartment '", compartment.name(),
        "' was sampled (negative rate 1 in ", options.negative_rate, ")"));
  }
  return absl::OkStatus();
}

// What the held-out rows (`split.test`, the last ones recorded) say beyond
// the confusion matrix: per free path, and which features decided.
void EvaluateHeldOutInDepth(const ml::DecisionTree& tree, ml::Criterion criterion,
                            const ml::Classifier& classify, const ml::Dataset& test,
                            const ml::Split& split, PrepareResult& r) {
  std::vector<int64_t> test_paths;
  for (int32_t row : split.test) test_paths.push_back(r.free_path[row]);
  r.held_out_rows = test.num_rows();
  r.held_out_by_path = ml::EvaluateByGroup(classify, test, test_paths);
  r.importances = ml::FeatureImportances(tree, criterion);
  r.path_shares = ml::PathShares(tree, test);
}

// The dataset as written to dataset.{csv,o2cd}: the features, then the
// free_path column.
ml::Dataset DatasetWithFreePath(const PrepareResult& r) {
  return r.dataset.WithColumn(FreePathSpec(), r.free_path);
}

// Trains on the earlier rows, evaluates on the later ones (held out by time)
// and cross-validates on contiguous blocks; fills r.model, r.held_out and
// r.cross_validation.
absl::Status TrainAndEvaluate(const Policy& policy, const Compartment& compartment,
                              const PrepareOptions& options, PrepareResult& r) {
  ml::CartOptions cart;
  cart.max_depth = options.max_depth;
  cart.balanced_class_weights = options.balanced;
  cart.seed = options.seed;
  ml::Split split = ml::ChronologicalSplit(r.dataset.num_rows(), options.test_fraction);
  ml::Dataset train = r.dataset.Subset(split.train);
  ml::Dataset test = r.dataset.Subset(split.test);
  O2C_ASSIGN_OR_RETURN(ml::DecisionTree tree, ml::TrainCart(train, cart));
  ml::Classifier classify = [&tree](absl::Span<const int64_t> x) {
    return tree.Predict(x).label;
  };
  r.held_out = ml::Evaluate(classify, test);
  EvaluateHeldOutInDepth(tree, cart.criterion, classify, test, split, r);
  ml::Fit fit = [&cart](const ml::Dataset& part) -> absl::StatusOr<ml::Classifier> {
    O2C_ASSIGN_OR_RETURN(ml::DecisionTree t, ml::TrainCart(part, cart));
    return ml::Classifier([t = std::move(t)](absl::Span<const int64_t> x) {
      return t.Predict(x).label;
    });
  };
  if (options.folds >= 2 && r.dataset.num_rows() >= options.folds) {
    O2C_ASSIGN_OR_RETURN(
        r.cross_validation,
        ml::CrossValidateFolds(r.dataset, ml::BlockedKFoldSplits(r.dataset.num_rows(), options.folds),
                               fit));
  }
  O2C_ASSIGN_OR_RETURN(AuditionModel model,
                       AuditionModel::Create(std::move(tree), r.dataset.schema,
                                             r.dataset.class_names));
  model.set_description(absl::StrFormat(
      "o2c prepare: CART gini max_depth=%d%s seed=%d on %d of %d rows profiled from "
      "compartment '%s' (policy %s) under '%s'; o2c features v%d",
      options.max_depth, options.balanced ? " balanced" : "", options.seed, train.num_rows(),
      r.dataset.num_rows(), compartment.name(), policy.source(), options.workload,
      O2C_FEATURES_VERSION));
  r.model = std::move(model);
  return absl::OkStatus();
}

// The datasets and the model, into `dir`; appends their paths to r.files.
absl::Status WriteDataFiles(const std::string& dir, PrepareResult& r) {
  auto path = [&](const char* name) { return absl::StrCat(dir, "/", name); };
  auto write_dataset = [&](const ml::Dataset& data, const char* csv,
                           const char* binary) -> absl::Status {
    O2C_RETURN_IF_ERROR(ml::WriteDatasetCsv(data, path(csv)));
    O2C_RETURN_IF_ERROR(ml::WriteDatasetFile(data, path(binary)));
    r.files.push_back(path(csv));
    r.files.push_back(path(binary));
    return absl::OkStatus();
  };
  O2C_RETURN_IF_ERROR(write_dataset(DatasetWithFreePath(r), "dataset.csv", "dataset.o2cd"));
  if (r.raw_dataset) {
    O2C_RETURN_IF_ERROR(write_dataset(*r.raw_dataset, "dataset_raw.csv", "dataset_raw.o2cd"));
  }
  O2C_RETURN_IF_ERROR(r.model->Save(path("model.o2cm")));
  r.files.push_back(path("model.o2cm"));
  return absl::OkStatus();
}

}  // namespace

const std::vector<std::string>& AuditionClassNames() {
  static const auto* names = [] {
    auto* v = new std::vector<std::string>(2);
    (*v)[kKernelLabel] = "kernel";
    (*v)[kOwnLabel] = "own";
    return v;
  }();
  return *names;
}

const ml::FeatureSpec& FreePathSpec() {
  static const auto* spec = new ml::FeatureSpec{
      kFreePathColumn,
      "which function freed the object (describes the sample, never a feature)",
      {{kFreePathKfree, "kfree"}, {kFreePathKmemCacheFree, "kmem_cache_free"}}};
  return *spec;
}

absl::StatusOr<PrepareResult> Prepare(const Policy& policy, const PrepareOptions& options) {
  O2C_RETURN_IF_ERROR(MakeOutputDir(options.out_dir));
  O2C_ASSIGN_OR_RETURN(bpf::Kallsyms kallsyms, bpf::Kallsyms::FromFile());
  O2C_ASSIGN_OR_RETURN(Compartment compartment, Compartment::Resolve(policy, kallsyms));
  O2C_ASSIGN_OR_RETURN(Profile profile, ProfileWorkload(compartment, policy, kallsyms, options));

  PrepareResult r;
  r.compartment_name = compartment.name();
  r.exact_free_sites = compartment.sites_exact();
  r.stats = profile.stats;
  r.profile_seconds = profile.seconds;
  r.dataset = FeatureDataset(profile.samples);
  r.free_path = FreePaths(profile.samples);
  r.slab_lookup = bpf::RunningKernelSlabLookup().why;
  O2C_RETURN_IF_ERROR(CheckBothClasses(policy, compartment, options, r.dataset, r.stats));
  if (options.raw_words) r.raw_dataset = RawWordsDataset(profile.samples, profile.raw_words);
  profile.samples = {};
  profile.raw_words = {};

  O2C_RETURN_IF_ERROR(TrainAndEvaluate(policy, compartment, options, r));
  O2C_RETURN_IF_ERROR(WriteDataFiles(options.out_dir, r));
  if (options.check_in_kernel) O2C_RETURN_IF_ERROR(CheckInKernel(*r.model, r.dataset, r));
  if (r.kernel_disagreements > 0) {
    return absl::InternalError(absl::StrCat(
        "compiled tree disagrees with the host model on ", r.kernel_disagreements, " of ",
        r.kernel_checked, " rows (model ", options.out_dir, "/model.o2cm)"));
  }
  return r;
}

}  // namespace o2c
