#include "o2c/ml/dataset_file.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "o2c/ml/dataset_csv.h"
#include "o2c/internal/file_util.h"
#include "o2c/ml/model.pb.h"
#include "o2c/internal/status_macros.h"

namespace o2c::ml {

std::string SerializeDatasetFile(const Dataset& data) {
  proto::Dataset p;
  SchemaToProto(data.schema, p.mutable_schema());
  for (const std::string& c : data.class_names) p.add_class_names(c);
  p.set_num_rows(data.num_rows());
  p.mutable_values()->Reserve(static_cast<int>(data.features.size()));
  for (int r = 0; r < data.num_rows(); ++r) {
    for (int c = 0; c < data.num_features(); ++c) p.add_values(data.features(r, c));
  }
  for (int32_t l : data.labels) p.add_labels(l);
  return SealEnvelope(kDatasetFileKind, p.SerializeAsString());
}

absl::StatusOr<Dataset> ParseDatasetFile(const std::string& bytes, const std::string& file) {
  O2C_ASSIGN_OR_RETURN(std::string payload, OpenEnvelope(kDatasetFileKind, bytes, file));
  proto::Dataset p;
  if (!p.ParseFromString(payload)) {
    return absl::DataLossError(absl::StrCat(file, ": dataset payload does not parse"));
  }
  Dataset data;
  data.schema = SchemaFromProto(p.schema());
  data.class_names.assign(p.class_names().begin(), p.class_names().end());
  const int64_t rows = p.num_rows();
  const int cols = data.schema.size();
  // The row count is the file's word: hold it to the labels read before
  // it sizes a matrix, a loop or a product that could overflow.
  if (rows < 0 || rows != p.labels_size()) {
    return absl::DataLossError(
        absl::StrCat(file, ": ", p.labels_size(), " labels for ", rows, " rows"));
  }
  if (p.values_size() != rows * cols) {
    return absl::DataLossError(absl::StrCat(file, ": ", p.values_size(), " values for ", rows,
                                            " rows of ", cols, " features"));
  }
  data.features.resize(rows, cols);
  for (int64_t r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) data.features(r, c) = p.values(r * cols + c);
  }
  data.labels.assign(p.labels().begin(), p.labels().end());
  if (absl::Status s = data.Validate(); !s.ok()) {
    return absl::DataLossError(absl::StrCat(file, ": ", s.message()));
  }
  return data;
}

absl::Status WriteDatasetFile(const Dataset& data, const std::string& path) {
  return internal::WriteFileBytes(path, SerializeDatasetFile(data));
}

absl::StatusOr<Dataset> ReadDatasetFile(const std::string& path) {
  O2C_ASSIGN_OR_RETURN(std::string bytes, internal::ReadFileBytes(path));
  return ParseDatasetFile(bytes, path);
}

absl::StatusOr<Dataset> ReadDataset(const std::string& path) {
  if (absl::EndsWith(path, ".csv")) return ReadDatasetCsv(path);
  return ReadDatasetFile(path);
}

}  // namespace o2c::ml
