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
#include "absl/strings/str_join.h"
#include "o2c/bpf/enforcer.h"
#include "o2c/bpf/extractor_schema.h"
#include "o2c/bpf/kernel/capabilities.h"
#include "o2c/bpf/loader/kmem_hooks.h"
#include "o2c/bpf/codegen/tree_program.h"
#include "o2c/ml/cart.h"
#include "o2c/ml/dataset_csv.h"
#include "o2c/ml/dataset_file.h"
#include "o2c/internal/file_util.h"
#include "o2c/internal/compartment_ranges.h"
#include "o2c/ml/split.h"
#include "o2c/ml/tree_dot.h"
#include "o2c/internal/status_macros.h"

namespace o2c {
namespace {

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
  config.negative_rate = options.negative_rate;
  config.raw_words = options.raw_words;
  if (policy.spec().limits().max_tracked_objects() > 0) {
    config.max_tracked = policy.spec().limits().max_tracked_objects();
  }
  return config;
}

// "[#########.......] 3.1 s  own 120  kernel 4012  lost 0", redrawn in place.
void DrawProgress(FILE* out, double seconds, double expected, int64_t own, int64_t kernel,
                  uint64_t lost, bool done) {
  if (out == nullptr) return;
  constexpr int kWidth = 24;
  int filled = expected > 0 ? static_cast<int>(kWidth * std::min(1.0, seconds / expected))
                            : kWidth;
  if (done) filled = kWidth;
  std::fprintf(out, "\r  profiling [%s%s] %5.1f s  own %lld  kernel %lld  lost %llu",
               std::string(filled, '#').c_str(), std::string(kWidth - filled, '.').c_str(),
               seconds, static_cast<long long>(own), static_cast<long long>(kernel),
               static_cast<unsigned long long>(lost));
  if (done) std::fputc('\n', out);
  std::fflush(out);
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

int TreeDepth(const ml::DecisionTree& tree, int node = 0) {
  const ml::TreeNode& n = tree.nodes[node];
  return n.is_leaf() ? 0 : 1 + std::max(TreeDepth(tree, n.left), TreeDepth(tree, n.right));
}

int64_t CountLabel(const ml::Dataset& data, int label) {
  return std::count(data.labels.begin(), data.labels.end(), label);
}

std::string FormatRates(const ml::ConfusionMatrix& m) {
  return absl::StrFormat("accuracy %.4f, precision %.4f, recall %.4f, F1 %.4f, FPR %.4f",
                         m.Accuracy(), m.Precision(kPreparePositive),
                         m.Recall(kPreparePositive), m.F1(kPreparePositive),
                         m.FalsePositiveRate(kPreparePositive));
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

std::string Report(const Policy& policy, const Compartment& compartment,
                   const PrepareOptions& options, const PrepareResult& r,
                   const std::string& png_note) {
  const ml::Dataset& d = r.dataset;
  const int64_t own = CountLabel(d, O2C_LABEL_OWN);
  const int64_t kernel = CountLabel(d, O2C_LABEL_KERNEL);
  const ml::DecisionTree& tree = r.model->tree();
  int leaves = 0;
  for (const ml::TreeNode& n : tree.nodes) leaves += n.is_leaf();
  std::string s;
  absl::StrAppend(&s, "# Preparation of compartment '", compartment.name(), "' (policy ",
                  policy.source(), ")\n\n");
  absl::StrAppend(&s, "Workload: `", options.workload, "`, profiled for ",
                  absl::StrFormat("%.1f", r.profile_seconds),
                  " s, system-wide (every process's frees count).\n\n");
  absl::StrAppend(&s, "## Dataset\n\n");
  absl::StrAppend(&s, "- ", d.num_rows(), " samples x ", d.num_features(), " features\n");
  absl::StrAppend(&s, "- own (label ", O2C_LABEL_OWN, "): ", own,
                  absl::StrFormat(" (%.1f%%)", d.num_rows() ? 100.0 * own / d.num_rows() : 0),
                  ": allocated at a compartment allocation site while profiling, freed at "
                  "a compartment free site\n");
  absl::StrAppend(&s, "- kernel (label ", O2C_LABEL_KERNEL, "): ", kernel,
                  absl::StrFormat(" (%.1f%%)", d.num_rows() ? 100.0 * kernel / d.num_rows() : 0),
                  ": untracked objects freed by code outside the compartment, 1 in ",
                  options.negative_rate, " sampled\n");
  absl::StrAppend(&s, "- profiler counters:");
  for (int i = 0; i < O2C_PSTAT_COUNT; ++i) {
    absl::StrAppend(&s, i ? ", " : " ", bpf::ProfileStatName(static_cast<o2c_profile_stat>(i)),
                    " ", r.stats[i]);
  }
  absl::StrAppend(&s, "\n- free sites: ",
                  compartment.sites_exact() ? "exact call sites, plus" : "",
                  " any call_site inside compartment code where a free is a tail jump "
                  "(free_pipe_info's `jmp kfree` reports pipe_release) or code is unreadable\n\n");
  absl::StrAppend(&s, "## Features (o2c features v", O2C_FEATURES_VERSION, ")\n\n");
  absl::StrAppend(&s,
                  "The enforcer's extractor (o2c/bpf/features.h): the object's size when the "
                  "free says it, its address alignment, and the class of each of its first ",
                  O2C_FEATURE_WORDS,
                  " words (null, small integer, user address, self pointer, compartment "
                  "code, other kernel text, other kernel address, other) with per-class "
                  "counts. Every feature describes the object, never where or by whom it "
                  "is freed: a negative is freed by kernel code elsewhere, but in an attack "
                  "the same object would be freed at a compartment site, so a free-site "
                  "feature would separate the training classes without meaning anything. "
                  "No feature says whether a word points at a tracked object either: a "
                  "training positive's children are tracked, an untracked object's children "
                  "at enforcement time are not. One caveat: `size` is known only at "
                  "kmem_cache_free (kfree says -1), so it tells the free function as much as "
                  "the object; bench/model_study retrains with size := -1 to show what the "
                  "words alone give.\n\n");
  for (const ml::FeatureSpec& f : d.schema.features) {
    absl::StrAppend(&s, "- `", f.name, "`: ", f.meaning, "\n");
  }
  absl::StrAppend(&s, "\n## Model\n\nCART (gini), max depth ", options.max_depth,
                  options.balanced ? ", balanced class weights" : "", ": ", tree.nodes.size(),
                  " nodes, ", leaves, " leaves, depth ", TreeDepth(tree), ". ", png_note,
                  "\n\n");
  absl::StrAppend(&s, "Metrics take **kernel** as the positive class: a false positive is an "
                      "own object the enforcer would call a violation; a false negative is a "
                      "kernel object an exploit could make the compartment free unnoticed.\n\n");
  absl::StrAppend(&s, "Held-out split (", r.held_out.total(), " rows): ",
                  FormatRates(r.held_out), "\n\n```\n",
                  r.held_out.Format(d.class_names, kPreparePositive), "```\n\n");
  if (r.cross_validation) {
    absl::StrAppend(&s, options.folds, "-fold cross-validation: mean accuracy ",
                    absl::StrFormat("%.4f ± %.4f", r.cross_validation->mean_accuracy,
                                    r.cross_validation->stddev_accuracy),
                    "; summed: ", FormatRates(r.cross_validation->total), "\n\n");
  }
  absl::StrAppend(&s, "## In the kernel\n\n");
  if (r.kernel_checked > 0) {
    absl::StrAppend(&s, "The compiled tree (", r.bpf_insns,
                    " BPF instructions, BPF_PROG_TYPE_SYSCALL) ran on all ", r.kernel_checked,
                    " rows with BPF_PROG_TEST_RUN: ", r.kernel_disagreements,
                    " disagreements with the host model (label or leaf).\n");
  } else {
    absl::StrAppend(&s, "Not checked in the kernel.\n");
  }
  return s;
}

}  // namespace

const std::vector<std::string>& AuditionClassNames() {
  static const auto* names = [] {
    auto* v = new std::vector<std::string>(2);
    (*v)[O2C_LABEL_KERNEL] = "kernel";
    (*v)[O2C_LABEL_OWN] = "own";
    return v;
  }();
  return *names;
}

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

ml::Dataset FeatureDataset(const std::vector<o2c_sample>& samples) {
  ml::Dataset data;
  data.schema = bpf::ExtractorFeatureSchema();
  data.class_names = AuditionClassNames();
  data.features.resize(static_cast<Eigen::Index>(samples.size()), O2C_F_COUNT);
  data.labels.reserve(samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    for (int f = 0; f < O2C_F_COUNT; ++f) data.features(i, f) = samples[i].features[f];
    data.labels.push_back(samples[i].label);
  }
  return data;
}

ml::Dataset RawWordsDataset(const std::vector<o2c_sample>& samples) {
  ml::Dataset data;
  data.schema = RawWordsSchema(O2C_PROFILE_RAW_WORDS);
  data.class_names = AuditionClassNames();
  data.features.resize(static_cast<Eigen::Index>(samples.size()), O2C_PROFILE_RAW_WORDS);
  data.labels.reserve(samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    for (int w = 0; w < O2C_PROFILE_RAW_WORDS; ++w) {
      data.features(i, w) = static_cast<int64_t>(samples[i].raw[w]);
    }
    data.labels.push_back(samples[i].label);
  }
  return data;
}

absl::StatusOr<ProfileResult> ProfileWorkload(const Compartment& compartment,
                                              const Policy& policy,
                                              const bpf::Kallsyms& kallsyms,
                                              const PrepareOptions& options) {
  if (options.workload.empty()) return absl::InvalidArgumentError("workload: empty command");
  O2C_ASSIGN_OR_RETURN(bpf::ProfilerConfig config,
                       ProfilerConfigFor(compartment, policy, kallsyms, options));
  O2C_ASSIGN_OR_RETURN(std::unique_ptr<bpf::ProfilerPrograms> profiler,
                       bpf::ProfilerPrograms::Load(config));
  O2C_RETURN_IF_ERROR(profiler->Attach());

  ProfileResult result;
  int64_t own = 0, kernel = 0;
  auto collect = [&](const o2c_sample& s) {
    result.samples.push_back(s);
    (s.label == O2C_LABEL_OWN ? own : kernel)++;
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
  double drawn = -1;
  for (;;) {
    absl::StatusOr<int> n = profiler->PollSamples(100, collect);
    if (!n.ok() && poll_error.ok()) poll_error = n.status();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (seconds - drawn >= 0.1) {  // ten redraws a second, however busy the ring
      absl::StatusOr<bpf::ProfilerStats> stats = profiler->ReadStats();
      DrawProgress(options.progress, seconds, options.expected_seconds, own, kernel,
                   stats.ok() ? (*stats)[O2C_PSTAT_SAMPLES_LOST] : 0, false);
      drawn = seconds;
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
  O2C_ASSIGN_OR_RETURN(result.stats, profiler->ReadStats());
  DrawProgress(options.progress, result.seconds, options.expected_seconds, own, kernel,
               result.stats[O2C_PSTAT_SAMPLES_LOST], true);
  O2C_RETURN_IF_ERROR(poll_error);
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "workload '", options.workload, "' ", DescribeExit(wstatus),
        WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 127 ? " (command not found?)" : ""));
  }
  return result;
}

absl::StatusOr<PrepareResult> Prepare(const Policy& policy, const PrepareOptions& options) {
  O2C_RETURN_IF_ERROR(MakeOutputDir(options.out_dir));
  O2C_ASSIGN_OR_RETURN(bpf::Kallsyms kallsyms, bpf::Kallsyms::FromFile());
  O2C_ASSIGN_OR_RETURN(Compartment compartment, Compartment::Resolve(policy, kallsyms));
  O2C_ASSIGN_OR_RETURN(ProfileResult profile,
                       ProfileWorkload(compartment, policy, kallsyms, options));

  PrepareResult r;
  r.stats = profile.stats;
  r.profile_seconds = profile.seconds;
  r.dataset = FeatureDataset(profile.samples);
  const int64_t own = CountLabel(r.dataset, O2C_LABEL_OWN);
  const int64_t kernel = CountLabel(r.dataset, O2C_LABEL_KERNEL);
  if (own == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no positive samples: the compartment allocated nothing under the workload (policy ",
        policy.source(), ", compartment '", compartment.name(), "': ",
        profile.stats[O2C_PSTAT_TRACKED], " allocations tracked, ",
        compartment.alloc_sites().size(), " allocation sites); run a workload that uses it"));
  }
  if (kernel == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no negative samples: nothing outside compartment '", compartment.name(),
        "' was sampled (negative rate 1 in ", options.negative_rate, ")"));
  }
  if (options.raw_words) r.raw_dataset = RawWordsDataset(profile.samples);
  profile.samples.clear();

  // Train on a held-out split; cross-validate on everything.
  ml::CartOptions cart;
  cart.max_depth = options.max_depth;
  cart.balanced_class_weights = options.balanced;
  cart.seed = options.seed;
  ml::Split split = ml::TrainTestSplit(r.dataset.num_rows(), options.test_fraction, options.seed);
  ml::Dataset train = r.dataset.Subset(split.train);
  ml::Dataset test = r.dataset.Subset(split.test);
  O2C_ASSIGN_OR_RETURN(ml::DecisionTree tree, ml::TrainCart(train, cart));
  ml::Classifier classify = [&tree](absl::Span<const int64_t> x) {
    return tree.Predict(x).label;
  };
  r.held_out = ml::Evaluate(classify, test);
  ml::Fit fit = [&cart](const ml::Dataset& part) -> absl::StatusOr<ml::Classifier> {
    O2C_ASSIGN_OR_RETURN(ml::DecisionTree t, ml::TrainCart(part, cart));
    return ml::Classifier([t = std::move(t)](absl::Span<const int64_t> x) {
      return t.Predict(x).label;
    });
  };
  if (options.folds >= 2 && r.dataset.num_rows() >= options.folds) {
    O2C_ASSIGN_OR_RETURN(r.cross_validation,
                         ml::CrossValidate(r.dataset, options.folds, options.seed, fit));
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

  const std::string& dir = options.out_dir;
  auto path = [&](const char* name) { return absl::StrCat(dir, "/", name); };
  O2C_RETURN_IF_ERROR(ml::WriteDatasetCsv(r.dataset, path("dataset.csv")));
  O2C_RETURN_IF_ERROR(ml::WriteDatasetFile(r.dataset, path("dataset.o2cd")));
  r.files = {path("dataset.csv"), path("dataset.o2cd")};
  if (r.raw_dataset) {
    O2C_RETURN_IF_ERROR(ml::WriteDatasetCsv(*r.raw_dataset, path("dataset_raw.csv")));
    O2C_RETURN_IF_ERROR(ml::WriteDatasetFile(*r.raw_dataset, path("dataset_raw.o2cd")));
    r.files.push_back(path("dataset_raw.csv"));
    r.files.push_back(path("dataset_raw.o2cd"));
  }
  O2C_RETURN_IF_ERROR(r.model->Save(path("model.o2cm")));
  r.files.push_back(path("model.o2cm"));
  std::string metrics = absl::StrCat(
      "held-out split (", r.held_out.total(), " rows), positive class 'kernel':\n",
      r.held_out.Format(r.dataset.class_names, kPreparePositive));
  if (r.cross_validation) {
    absl::StrAppend(&metrics, "\n", options.folds, "-fold cross-validation (",
                    r.cross_validation->total.total(), " rows): mean accuracy ",
                    absl::StrFormat("%.4f +- %.4f\n", r.cross_validation->mean_accuracy,
                                    r.cross_validation->stddev_accuracy),
                    r.cross_validation->total.Format(r.dataset.class_names, kPreparePositive));
  }
  O2C_RETURN_IF_ERROR(internal::WriteFileBytes(path("metrics.txt"), metrics));
  r.files.push_back(path("metrics.txt"));
  const std::string dot = r.model->ToDot();
  O2C_RETURN_IF_ERROR(internal::WriteFileBytes(path("tree.dot"), dot));
  r.files.push_back(path("tree.dot"));
  std::string png_note = "Picture: tree.png.";
  if (absl::Status s = ml::RenderDot(dot, "png", path("tree.png")); s.ok()) {
    r.files.push_back(path("tree.png"));
  } else {
    png_note = absl::StrCat("tree.png not rendered (", s.message(), "); tree.dot is there.");
  }

  if (options.check_in_kernel) O2C_RETURN_IF_ERROR(CheckInKernel(*r.model, r.dataset, r));
  r.report = Report(policy, compartment, options, r, png_note);
  O2C_RETURN_IF_ERROR(internal::WriteFileBytes(path("report.md"), r.report));
  r.files.push_back(path("report.md"));
  if (r.kernel_disagreements > 0) {
    return absl::InternalError(absl::StrCat(
        "compiled tree disagrees with the host model on ", r.kernel_disagreements, " of ",
        r.kernel_checked, " rows (see ", path("report.md"), ")"));
  }
  return r;
}

}  // namespace o2c
