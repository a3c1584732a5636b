// o2c explain: what an audition model looks at and why it decides as it does.
//
//   o2c explain --model M.o2cm [--sample v1,v2,...] [--dot tree.dot] [--png tree.png]
//
// A sample's values are integers or, for enumerated features, value names.
#include <algorithm>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "examples/cli_args.h"
#include "examples/commands.h"
#include "o2c/audition_model.h"
#include "o2c/ml/explain.h"
#include "o2c/internal/file_util.h"
#include "o2c/ml/tree_dot.h"

namespace o2c::cli {

const CommandHelp kExplainHelp = {
    .name = "explain",
    .summary = "explain a model: importances, a sample's path, dot/PNG",
    .description = "A model in words: what it looks at, feature importances, a sample's path "
               "through the tree, Graphviz.",
    .flags = {{"model", "FILE", "the model file (.o2cm)", true},
              {"sample", "V1,V2,...", "explain the decision for these feature values (integers or "
                                      "value names)"},
              {"dot", "FILE", "write the tree as Graphviz dot"},
              {"png", "FILE", "render the tree as PNG (Graphviz's dot)"}},
    .example = "o2c explain --model testdata/prepare/pipe.o2cm --png tree.png",
};
namespace {

absl::StatusOr<std::vector<int64_t>> ParseSample(const std::string& text,
                                                 const ml::FeatureSchema& schema) {
  std::vector<int64_t> values;
  for (absl::string_view cell : absl::StrSplit(text, ',')) {
    cell = absl::StripAsciiWhitespace(cell);
    const int f = static_cast<int>(values.size());
    int64_t v;
    if (absl::SimpleAtoi(cell, &v)) {
      values.push_back(v);
      continue;
    }
    bool named = false;
    if (f < schema.size()) {
      for (const auto& [value, name] : schema.features[f].value_names) {
        if (name == cell) {
          values.push_back(value);
          named = true;
          break;
        }
      }
    }
    if (!named) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--sample: value ", f + 1, " ('", cell, "') for ", schema.Name(f),
          " is neither an integer nor one of its value names"));
    }
  }
  if (static_cast<int>(values.size()) != schema.size()) {
    return absl::InvalidArgumentError(absl::StrCat("--sample has ", values.size(),
                                                   " values; the model reads ", schema.size()));
  }
  return values;
}

void PrintSummary(const AuditionModel& model) {
  int leaves = 0;
  for (const ml::TreeNode& n : model.tree().nodes) leaves += n.is_leaf();
  std::printf("model: %zu nodes, %d leaves, %d features, classes:", model.tree().nodes.size(),
              leaves, model.schema().size());
  for (int c = 0; c < model.tree().num_classes; ++c) {
    std::printf(" %s", c < static_cast<int>(model.class_names().size())
                           ? model.class_names()[c].c_str() : std::to_string(c).c_str());
  }
  std::printf("\n%s%sfeature importances (%s):\n", model.description().c_str(),
              model.description().empty() ? "" : "\n\n", ml::CriterionName(model.criterion()));
  std::vector<double> importance = model.FeatureImportances();
  std::vector<int> order(importance.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return importance[a] > importance[b]; });
  for (int f : order) {
    if (importance[f] <= 0) break;
    std::printf("  %-24s %.4f  %s\n", model.schema().Name(f).c_str(), importance[f],
                model.schema().features[f].meaning.c_str());
  }
}

}  // namespace

int ExplainCommand(int argc, char** argv) {
  Args args(argc, argv, kExplainHelp);
  absl::StatusOr<std::string> model_path = args.Require("model");
  std::optional<std::string> sample = args.Get("sample");
  std::optional<std::string> dot_path = args.Get("dot");
  std::optional<std::string> png_path = args.Get("png");
  for (const absl::Status& s : {model_path.status(), args.Finish()}) {
    if (!s.ok()) return ReportFailure("explain", s);
  }
  absl::StatusOr<AuditionModel> model = AuditionModel::Load(*model_path);
  if (!model.ok()) return ReportFailure("explain", model.status());
  PrintSummary(*model);

  if (sample) {
    absl::StatusOr<std::vector<int64_t>> x = ParseSample(*sample, model->schema());
    if (!x.ok()) return ReportFailure("explain", x.status());
    absl::StatusOr<std::string> why = model->Explain(*x);
    if (!why.ok()) return ReportFailure("explain", why.status());
    std::printf("\nsample: %s\n%s",  why->c_str(),
                ml::DescribeSteps(model->tree(), model->schema(), model->class_names(), *x).c_str());
  }
  const std::string dot = model->ToDot();
  if (dot_path) {
    if (absl::Status s = internal::WriteFileBytes(*dot_path, dot); !s.ok()) return ReportFailure("explain", s);
    std::printf("\nwrote %s\n", dot_path->c_str());
  }
  if (png_path) {
    if (absl::Status s = ml::RenderDot(dot, "png", *png_path); !s.ok()) return ReportFailure("explain", s);
    std::printf("\nwrote %s\n", png_path->c_str());
  }
  return 0;
}

}  // namespace o2c::cli
