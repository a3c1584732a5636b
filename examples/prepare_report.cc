#include "examples/prepare_report.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "o2c/bpf/features.h"
#include "o2c/internal/file_util.h"
#include "o2c/internal/status_macros.h"
#include "o2c/ml/explain.h"
#include "o2c/ml/tree_dot.h"

namespace o2c::cli {
namespace {

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

std::string FormatStats(const ProfileStats& s) {
  return absl::StrCat(
      "tracked ", s.tracked_allocations, ", positives ", s.own_samples, ", negatives ",
      s.kernel_samples, ", negatives_skipped ", s.kernel_frees_not_sampled,
      ", tracked_freed_elsewhere ", s.tracked_freed_elsewhere, ", untracked_at_site ",
      s.untracked_freed_at_site, ", map_full ", s.tracking_map_full, ", samples_lost ",
      s.samples_lost, ", overflowed ", s.tracked_in_overflow, ", raw_read_failed ",
      s.raw_reads_failed);
}

std::string Percent(int64_t part, int64_t whole) {
  return absl::StrFormat(" (%.1f%%)", whole ? 100.0 * part / whole : 0);
}

// The held-out rates per free path, kernel as the positive class.
std::string PerPathText(const PrepareResult& r) {
  return ml::FormatGroupRates(
      r.held_out_by_path,
      [](int64_t path) { return FreePathSpec().value_names.at(path); }, kFreePathColumn,
      kPreparePositive);
}

}  // namespace

std::string PrepareMetricsText(const PrepareResult& r, const PrepareOptions& options) {
  const std::vector<std::string>& classes = r.dataset.class_names;
  std::string metrics = absl::StrCat("held-out split (the last ", r.held_out.total(),
                                     " rows recorded), positive class 'kernel':\n",
                                     r.held_out.Format(classes, kPreparePositive),
                                     "\nper free path:\n", PerPathText(r));
  if (r.cross_validation) {
    absl::StrAppend(&metrics, "\n", options.folds, "-fold cross-validation on contiguous blocks (",
                    r.cross_validation->total.total(), " rows): mean accuracy ",
                    absl::StrFormat("%.4f +- %.4f\n", r.cross_validation->mean_accuracy,
                                    r.cross_validation->stddev_accuracy),
                    r.cross_validation->total.Format(classes, kPreparePositive));
  }
  return metrics;
}

std::string PrepareReportMarkdown(const Policy& policy, const PrepareOptions& options,
                                  const PrepareResult& r, const std::string& png_note) {
  const ml::Dataset& d = r.dataset;
  const int64_t own = CountLabel(d, kOwnLabel);
  const int64_t kernel = CountLabel(d, kKernelLabel);
  const ml::DecisionTree& tree = r.model->tree();
  int leaves = 0;
  for (const ml::TreeNode& n : tree.nodes) leaves += n.is_leaf();
  std::string s;
  absl::StrAppend(&s, "# Preparation of compartment '", r.compartment_name, "' (policy ",
                  policy.source(), ")\n\n");
  absl::StrAppend(&s, "Workload: `", options.workload, "`, profiled for ",
                  absl::StrFormat("%.1f", r.profile_seconds),
                  " s, system-wide (every process's frees count).\n\n");
  absl::StrAppend(&s, "## Dataset\n\n");
  absl::StrAppend(&s, "- ", d.num_rows(), " samples x ", d.num_features(), " features\n");
  absl::StrAppend(&s, "- own (label ", kOwnLabel, "): ", own, Percent(own, d.num_rows()),
                  ": allocated at a compartment allocation site while profiling, freed at "
                  "a compartment free site\n");
  absl::StrAppend(&s, "- kernel (label ", kKernelLabel, "): ", kernel,
                  Percent(kernel, d.num_rows()),
                  ": untracked objects freed by code outside the compartment, 1 in ",
                  options.negative_rate, " sampled\n");
  absl::StrAppend(&s, "- profiler counters: ", FormatStats(r.stats), "\n");
  absl::StrAppend(&s, "- free sites: ",
                  r.exact_free_sites
                      ? "exact call sites, among them the calls of compartment functions "
                        "that tail-jump to a free (free_pipe_info's `jmp kfree` is reported "
                        "at pipe_release's call of it)\n\n"
                      : "any call_site inside compartment code (its code was unreadable)\n\n");
  absl::StrAppend(&s, "## Features (o2c features v", O2C_FEATURES_VERSION, ")\n\n");
  absl::StrAppend(&s,
                  "The enforcer's extractor (o2c/bpf/features.h): the object size and kind "
                  "(kmalloc size class or dedicated cache) of the slab cache that holds the "
                  "object, found from its address whatever function frees it, its address "
                  "alignment, and the class of each of its first ",
                  O2C_FEATURE_WORDS,
                  " words (null, small integer, user address, self pointer, compartment "
                  "code, other kernel text, other kernel address, other) with per-class "
                  "counts. Every feature describes the object, never where or by whom it "
                  "is freed: a negative is freed by kernel code elsewhere, but in an attack "
                  "the same object would be freed at a compartment site, so a free-site "
                  "feature would separate the training classes without meaning anything. "
                  "No feature says whether a word points at a tracked object either: a "
                  "training positive's children are tracked, an untracked object's children "
                  "at enforcement time are not. The free path (kfree or kmem_cache_free) is "
                  "kept beside the features in the dataset, to score the model per path, "
                  "and never trained on.\n\n");
  if (!r.slab_lookup.empty()) {
    absl::StrAppend(&s, "Slabs found on this kernel by: ", r.slab_lookup, ".\n\n");
  }
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
  absl::StrAppend(&s, "Held out by time: the model trains on the first ",
                  d.num_rows() - r.held_out_rows, " samples in the order the profiler recorded "
                  "them and is scored on the last ", r.held_out_rows,
                  ", never on rows shuffled among near-copies of themselves from the same "
                  "allocation burst.\n\n");
  absl::StrAppend(&s, "Held-out split (", r.held_out.total(), " rows): ",
                  FormatRates(r.held_out), "\n\n```\n",
                  r.held_out.Format(d.class_names, kPreparePositive), "```\n\n");
  absl::StrAppend(&s, "Per free path, with 95 % Wilson intervals from the rows each rate is "
                      "measured on (few rows, wide interval):\n\n```\n",
                  PerPathText(r), "```\n\n");
  absl::StrAppend(&s, "What carries the decision (impurity importance, and the share of "
                      "held-out rows whose path compares the feature): ",
                  ml::DescribeDecisiveFeatures(d.schema, r.importances, r.path_shares),
                  ".\n\n");
  if (r.cross_validation) {
    absl::StrAppend(&s, options.folds, "-fold cross-validation on contiguous blocks of "
                    "recorded samples: mean accuracy ",
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

absl::StatusOr<std::vector<std::string>> WritePrepareReport(const Policy& policy,
                                                            const PrepareOptions& options,
                                                            const PrepareResult& result) {
  auto path = [&](const char* name) { return absl::StrCat(options.out_dir, "/", name); };
  std::vector<std::string> files;
  auto write = [&](const char* name, const std::string& text) -> absl::Status {
    O2C_RETURN_IF_ERROR(internal::WriteFileBytes(path(name), text));
    files.push_back(path(name));
    return absl::OkStatus();
  };
  O2C_RETURN_IF_ERROR(write("metrics.txt", PrepareMetricsText(result, options)));
  const std::string dot = result.model->ToDot();
  O2C_RETURN_IF_ERROR(write("tree.dot", dot));
  std::string png_note = "Picture: tree.png.";
  if (absl::Status s = ml::RenderDot(dot, "png", path("tree.png")); s.ok()) {
    files.push_back(path("tree.png"));
  } else {
    png_note = absl::StrCat("tree.png not rendered (", s.message(), "); tree.dot is there.");
  }
  O2C_RETURN_IF_ERROR(
      write("report.md", PrepareReportMarkdown(policy, options, result, png_note)));
  return files;
}

absl::StatusOr<std::string> AppendVictimsToReport(const PrepareOptions& options,
                                                  const victims::MissRates& rates) {
  const std::string path = absl::StrCat(options.out_dir, "/report.md");
  O2C_ASSIGN_OR_RETURN(std::string report, internal::ReadFileBytes(path));
  absl::StrAppend(&report, "\n", victims::MissRatesMarkdown(rates));
  O2C_RETURN_IF_ERROR(internal::WriteFileBytes(path, report));
  return path;
}

}  // namespace o2c::cli
