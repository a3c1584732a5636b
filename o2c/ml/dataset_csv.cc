#include "o2c/ml/dataset_csv.h"

#include <map>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "o2c/internal/file_util.h"
#include "o2c/internal/status_macros.h"

namespace o2c::ml {
namespace {

constexpr char kLabelColumn[] = "label";

// Parser state: the file name and line for errors, directives seen so far.
class CsvParser {
 public:
  explicit CsvParser(const std::string& file) : file_(file) {}

  absl::StatusOr<Dataset> Parse(absl::string_view text) {
    size_t pos = 0;
    while (pos < text.size()) {
      size_t end = text.find('\n', pos);
      if (end == absl::string_view::npos) end = text.size();
      absl::string_view line = text.substr(pos, end - pos);
      pos = end + 1;
      ++line_no_;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (absl::StripAsciiWhitespace(line).empty()) continue;
      if (line[0] == '#') {
        O2C_RETURN_IF_ERROR(Directive(line.substr(1)));
      } else if (columns_.empty()) {
        O2C_RETURN_IF_ERROR(Header(line));
      } else {
        O2C_RETURN_IF_ERROR(Row(line));
      }
    }
    if (columns_.empty()) return Error("no header line (expected column names and a 'label' column)");
    return Finish();
  }

 private:
  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(file_, ":", line_no_, ": ", what));
  }

  // "#feature name: meaning", "#values name 0=A 1=B", "#classes a b"; other
  // comments are ignored.
  absl::Status Directive(absl::string_view body) {
    std::vector<absl::string_view> words =
        absl::StrSplit(body, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (words.empty()) return absl::OkStatus();
    if (words[0] == "feature") {
      absl::string_view rest = absl::StripAsciiWhitespace(body.substr(body.find("feature") + 7));
      size_t colon = rest.find(':');
      if (colon == absl::string_view::npos) return Error("#feature needs 'name: meaning'");
      meanings_[std::string(absl::StripAsciiWhitespace(rest.substr(0, colon)))] =
          std::string(absl::StripAsciiWhitespace(rest.substr(colon + 1)));
    } else if (words[0] == "values") {
      if (words.size() < 3) return Error("#values needs a feature name and value=NAME pairs");
      std::map<int64_t, std::string>& names = value_names_[std::string(words[1])];
      for (size_t i = 2; i < words.size(); ++i) {
        std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(words[i], '=');
        int64_t value;
        if (!absl::SimpleAtoi(kv.first, &value) || kv.second.empty()) {
          return Error(absl::StrCat("#values: '", words[i], "' is not value=NAME"));
        }
        names[value] = std::string(kv.second);
      }
    } else if (words[0] == "classes") {
      class_names_.clear();
      for (size_t i = 1; i < words.size(); ++i) class_names_.emplace_back(words[i]);
    }
    return absl::OkStatus();
  }

  absl::Status Header(absl::string_view line) {
    for (absl::string_view cell : absl::StrSplit(line, ',')) {
      columns_.emplace_back(absl::StripAsciiWhitespace(cell));
    }
    for (size_t c = 0; c < columns_.size(); ++c) {
      if (columns_[c] == kLabelColumn) {
        // A second one would be read as a feature the schema lacks.
        if (label_column_ >= 0) {
          return Error(absl::StrCat("columns ", label_column_ + 1, " and ", c + 1,
                                    " are both 'label'"));
        }
        label_column_ = static_cast<int>(c);
        continue;
      }
      FeatureSpec spec;
      spec.name = columns_[c];
      if (spec.name.empty()) return Error(absl::StrCat("column ", c + 1, " has no name"));
      // Written first in a header, such a name would read back as a comment.
      if (spec.name[0] == '#') {
        return Error(absl::StrCat("column ", c + 1, " name '", spec.name, "' starts with '#'"));
      }
      schema_.features.push_back(std::move(spec));
    }
    if (label_column_ < 0) return Error("header has no 'label' column");
    if (absl::Status s = schema_.Validate(); !s.ok()) return Error(s.message());
    for (const auto& [name, unused] : value_names_) {
      if (!schema_.Find(name)) return Error(absl::StrCat("#values names unknown column '", name, "'"));
    }
    for (FeatureSpec& f : schema_.features) {
      f.meaning = meanings_[f.name];
      f.value_names = value_names_[f.name];
      std::map<std::string, int64_t> reverse;
      for (const auto& [value, name] : f.value_names) reverse[name] = value;
      value_by_name_.push_back(std::move(reverse));
    }
    return absl::OkStatus();
  }

  // One cell: an integer, or the name of an enumerated value.
  absl::Status Cell(absl::string_view cell, const std::map<std::string, int64_t>& names,
                    absl::string_view column, int64_t* out) {
    cell = absl::StripAsciiWhitespace(cell);
    if (absl::SimpleAtoi(cell, out)) return absl::OkStatus();
    auto it = names.find(std::string(cell));
    if (it != names.end()) {
      *out = it->second;
      return absl::OkStatus();
    }
    return Error(absl::StrCat("column '", column, "': '", cell, "' is not an integer"));
  }

  absl::Status Row(absl::string_view line) {
    size_t cells = 0;
    int feature = 0;
    for (absl::string_view cell : absl::StrSplit(line, ',')) {
      if (cells >= columns_.size()) {
        ++cells;
        continue;
      }
      int64_t value;
      if (static_cast<int>(cells) == label_column_) {
        O2C_RETURN_IF_ERROR(Cell(cell, ClassIndex(), kLabelColumn, &value));
        if (value < 0 || value > INT32_MAX) {
          return Error(absl::StrCat("label ", value, " is not a class index"));
        }
        labels_.push_back(static_cast<int32_t>(value));
      } else {
        O2C_RETURN_IF_ERROR(Cell(cell, value_by_name_[feature], columns_[cells], &value));
        values_.push_back(value);
        ++feature;
      }
      ++cells;
    }
    if (cells != columns_.size()) {
      return Error(absl::StrCat(cells, " cells, expected ", columns_.size()));
    }
    return absl::OkStatus();
  }

  const std::map<std::string, int64_t>& ClassIndex() {
    if (class_index_.empty()) {
      for (size_t i = 0; i < class_names_.size(); ++i) class_index_[class_names_[i]] = i;
    }
    return class_index_;
  }

  absl::StatusOr<Dataset> Finish() {
    Dataset data;
    data.schema = std::move(schema_);
    data.class_names = std::move(class_names_);
    const int64_t rows = static_cast<int64_t>(labels_.size());
    const int cols = data.schema.size();
    data.features.resize(rows, cols);
    for (int64_t r = 0; r < rows; ++r) {
      for (int c = 0; c < cols; ++c) data.features(r, c) = values_[r * cols + c];
    }
    data.labels = std::move(labels_);
    if (absl::Status s = data.Validate(); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(file_, ": ", s.message()));
    }
    return data;
  }

  std::string file_;
  int line_no_ = 0;
  std::vector<std::string> columns_;
  int label_column_ = -1;
  FeatureSchema schema_;
  std::map<std::string, std::string> meanings_;
  std::map<std::string, std::map<int64_t, std::string>> value_names_;
  std::vector<std::map<std::string, int64_t>> value_by_name_;  // per feature
  std::vector<std::string> class_names_;
  std::map<std::string, int64_t> class_index_;
  std::vector<int64_t> values_;  // row-major
  std::vector<int32_t> labels_;
};

}  // namespace

absl::StatusOr<Dataset> ParseDatasetCsv(absl::string_view text, const std::string& file) {
  return CsvParser(file).Parse(text);
}

absl::StatusOr<Dataset> ReadDatasetCsv(const std::string& path) {
  O2C_ASSIGN_OR_RETURN(std::string text, internal::ReadFileBytes(path));
  return ParseDatasetCsv(text, path);
}

std::string FormatDatasetCsv(const Dataset& data) {
  std::string out;
  for (const FeatureSpec& f : data.schema.features) {
    if (!f.meaning.empty()) absl::StrAppend(&out, "#feature ", f.name, ": ", f.meaning, "\n");
    if (f.value_names.empty()) continue;
    absl::StrAppend(&out, "#values ", f.name);
    for (const auto& [value, name] : f.value_names) absl::StrAppend(&out, " ", value, "=", name);
    out += "\n";
  }
  if (!data.class_names.empty()) {
    absl::StrAppend(&out, "#classes ", absl::StrJoin(data.class_names, " "), "\n");
  }
  for (const FeatureSpec& f : data.schema.features) absl::StrAppend(&out, f.name, ",");
  absl::StrAppend(&out, kLabelColumn, "\n");
  for (int r = 0; r < data.num_rows(); ++r) {
    for (int c = 0; c < data.num_features(); ++c) absl::StrAppend(&out, data.features(r, c), ",");
    absl::StrAppend(&out, data.labels[r], "\n");
  }
  return out;
}

absl::Status WriteDatasetCsv(const Dataset& data, const std::string& path) {
  return internal::WriteFileBytes(path, FormatDatasetCsv(data));
}

}  // namespace o2c::ml
