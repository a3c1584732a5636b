// o2c evaluate: scores a model on a labelled dataset it was not trained on:
// accuracy, confusion matrix, precision/recall and FPR/FNR per class, and
// per free path, with confidence intervals, when the dataset has a
// `free_path` column (o2c prepare's datasets do).
//
//   o2c evaluate --model M.o2cm --data D.csv [--positive 1]
//
// Columns are matched to the model's features by name, in any order; a
// column the model does not read (other than label and free_path) is listed
// and ignored.
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "examples/cli_args.h"
#include "examples/commands.h"
#include "o2c/audition_model.h"
#include "o2c/ml/dataset_file.h"
#include "o2c/ml/metrics.h"
#include "o2c/prepare.h"

namespace o2c::cli {

const CommandHelp kEvaluateHelp = {
    .name = "evaluate",
    .summary = "score a model on a dataset it was not trained on",
    .description = "Scores a model on a labelled dataset it was not trained on: per class and, with a "
               "free_path column, per free path.",
    .flags = {{"model", "FILE", "the model file (.o2cm)", true},
              {"data", "FILE", "the labelled dataset (CSV)", true},
              {"positive", "CLASS", "the positive class of FPR/FNR (default 1)"}},
    .example = "o2c evaluate --model pipe.o2cm --data testdata/ml/audition_small.csv",
};
namespace {

// `data` re-laid in `model`'s feature order, with the free path of each row
// (empty without that column) and the columns left out.
struct Aligned {
  ml::Dataset data;
  std::vector<int64_t> free_path;
  std::vector<std::string> ignored;
};

absl::StatusOr<Aligned> Align(const ml::Dataset& data, const std::string& data_path,
                              const AuditionModel& model) {
  const ml::FeatureSchema& wanted = model.schema();
  std::vector<int> column(wanted.size(), -1);
  std::vector<std::string> missing;
  for (int f = 0; f < wanted.size(); ++f) {
    std::optional<int> c = data.schema.Find(wanted.features[f].name);
    if (c.has_value()) {
      column[f] = *c;
    } else {
      missing.push_back(wanted.features[f].name);
    }
  }
  std::vector<std::string> model_names;
  for (const ml::FeatureSpec& spec : wanted.features) model_names.push_back(spec.name);
  std::vector<std::string> data_names;
  for (const ml::FeatureSpec& spec : data.schema.features) data_names.push_back(spec.name);
  if (static_cast<int>(missing.size()) == wanted.size()) {
    return absl::FailedPreconditionError(absl::StrCat(
        data_path, ": another feature schema: its columns (", absl::StrJoin(data_names, ","),
        ") share none with the model's features (", absl::StrJoin(model_names, ","), ")"));
  }
  if (!missing.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(data_path, missing.size() == 1 ? ": no column " : ": no columns ",
                     absl::StrJoin(missing, ", "), ", which the model needs"));
  }
  Aligned out;
  out.data.features.resize(data.num_rows(), wanted.size());
  for (int f = 0; f < wanted.size(); ++f) {
    out.data.features.col(f) = data.features.col(column[f]);
    out.data.schema.features.push_back(data.schema.features[column[f]]);
  }
  out.data.schema.extractor_version = data.schema.extractor_version;
  if (absl::Status s = ml::CompareSchemas(wanted, out.data.schema); !s.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat(data_path, ": another feature schema than the model's: ", s.message()));
  }
  out.data.labels = data.labels;
  out.data.class_names = model.class_names();
  if (!data.class_names.empty() && !model.class_names().empty() &&
      data.class_names != model.class_names()) {
    return absl::FailedPreconditionError(absl::StrCat(
        data_path, ": classes ", absl::StrJoin(data.class_names, ","), " but the model's are ",
        absl::StrJoin(model.class_names(), ",")));
  }
  const int classes = static_cast<int>(model.tree().num_classes);
  for (int r = 0; r < data.num_rows(); ++r) {
    if (data.labels[r] >= classes) {
      return absl::InvalidArgumentError(absl::StrCat(data_path, ": row ", r + 1, " has label ",
                                                     data.labels[r], "; the model has ", classes,
                                                     " classes"));
    }
  }
  for (int c = 0; c < data.num_features(); ++c) {
    const std::string& name = data.schema.features[c].name;
    if (name == kFreePathColumn) {
      out.free_path.assign(data.features.col(c).data(), data.features.col(c).data() + data.num_rows());
    } else if (!wanted.Find(name).has_value()) {
      out.ignored.push_back(name);
    }
  }
  return out;
}

}  // namespace

int EvaluateCommand(int argc, char** argv) {
  Args args(argc, argv, kEvaluateHelp);
  absl::StatusOr<std::string> model_path = args.Require("model");
  absl::StatusOr<std::string> data_path = args.Require("data");
  absl::StatusOr<long long> positive = args.GetInt("positive", 1);
  for (const absl::Status& s :
       {model_path.status(), data_path.status(), positive.status(), args.Finish()}) {
    if (!s.ok()) return ReportFailure("evaluate", s);
  }
  absl::StatusOr<AuditionModel> model = AuditionModel::Load(*model_path);
  if (!model.ok()) return ReportFailure("evaluate", model.status());
  absl::StatusOr<ml::Dataset> data = ml::ReadDataset(*data_path);
  if (!data.ok()) return ReportFailure("evaluate", data.status());
  absl::StatusOr<Aligned> aligned = Align(*data, *data_path, *model);
  if (!aligned.ok()) return ReportFailure("evaluate", aligned.status());
  const int classes = model->tree().num_classes;
  if (*positive < 0 || *positive >= classes) {
    return ReportFailure("evaluate", absl::InvalidArgumentError(absl::StrCat(
                                         "--positive ", *positive, " outside [0, ", classes, ")")));
  }
  const ml::Dataset& d = aligned->data;
  const std::vector<std::string>& names = model->class_names();

  std::printf("model %s: %s\ndata %s: %d rows x %d features the model reads\n", model_path->c_str(),
              model->description().c_str(), data_path->c_str(), d.num_rows(), d.num_features());
  if (!aligned->ignored.empty()) {
    std::printf("ignored columns the model does not read: %s\n",
                absl::StrJoin(aligned->ignored, ", ").c_str());
  }
  ml::ConfusionMatrix overall(classes);
  std::map<int64_t, ml::ConfusionMatrix> per_path;
  std::vector<int64_t> row(d.num_features());
  for (int r = 0; r < d.num_rows(); ++r) {
    for (int f = 0; f < d.num_features(); ++f) row[f] = d.features(r, f);
    const int32_t predicted = model->tree().Predict(row).label;
    overall.Add(d.labels[r], predicted);
    if (!aligned->free_path.empty()) {
      per_path.try_emplace(aligned->free_path[r], classes).first->second.Add(d.labels[r], predicted);
    }
  }
  std::printf("\n%s\n%s", overall.Format(names, static_cast<int>(*positive)).c_str(),
              overall.FormatPerClass(names).c_str());
  if (aligned->free_path.empty()) {
    std::printf("\nper-path metrics skipped: %s has no %s column\n", data_path->c_str(),
                kFreePathColumn);
    return 0;
  }
  const int path_column = *data->schema.Find(kFreePathColumn);
  const std::string positive_name = *positive < static_cast<int>(names.size())
                                        ? names[*positive]
                                        : absl::StrCat(*positive);
  std::printf("\nper free path (positive class: %s; 95%% Wilson intervals):\n%s",
              positive_name.c_str(),
              ml::FormatGroupRates(
                  per_path,
                  [&](int64_t path) { return data->schema.FormatValue(path_column, path); },
                  kFreePathColumn, static_cast<int>(*positive))
                  .c_str());
  return 0;
}

}  // namespace o2c::cli
