// Datasets in our protobuf format (.o2cd): schema, class names, row-major
// values and labels in a checksummed, versioned envelope (envelope.h). Exact
// and compact where CSV is readable.
#ifndef O2C_ML_DATASET_FILE_H_
#define O2C_ML_DATASET_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "o2c/ml/dataset.h"
#include "o2c/ml/envelope.h"

namespace o2c::ml {

inline constexpr EnvelopeKind kDatasetFileKind = {"O2CD", 1, "dataset"};

std::string SerializeDatasetFile(const Dataset& data);
// Checks the envelope, then the shapes (values = rows x features) and labels.
absl::StatusOr<Dataset> ParseDatasetFile(const std::string& bytes, const std::string& file);

absl::Status WriteDatasetFile(const Dataset& data, const std::string& path);
absl::StatusOr<Dataset> ReadDatasetFile(const std::string& path);

// By extension: ".csv" through dataset_csv.h, anything else as .o2cd.
absl::StatusOr<Dataset> ReadDataset(const std::string& path);

}  // namespace o2c::ml

#endif  // O2C_ML_DATASET_FILE_H_
