// Datasets as CSV: one header line of column names, one integer per cell, a
// column called "label". Lines starting with '#' are comments, except these
// directives, which carry what a header cannot:
//
//   #feature slab_size: size of the slab cache the object came from
//   #values ptr0_class 0=NONE 1=KERNEL_TEXT 2=COMPARTMENT_HEAP
//   #classes own kernel
//
// A cell of an enumerated feature (or of the label) may be written as its
// name. Every error names the file and line: "d.csv:7: 3 cells, expected 4".
#ifndef O2C_ML_DATASET_CSV_H_
#define O2C_ML_DATASET_CSV_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "o2c/ml/dataset.h"

namespace o2c::ml {

// Parses CSV `text`; `file` names it in errors.
absl::StatusOr<Dataset> ParseDatasetCsv(absl::string_view text, const std::string& file);
// Reads and parses the file at `path`.
absl::StatusOr<Dataset> ReadDatasetCsv(const std::string& path);

// The CSV text of `data` (directives included), which ParseDatasetCsv reads back.
std::string FormatDatasetCsv(const Dataset& data);
absl::Status WriteDatasetCsv(const Dataset& data, const std::string& path);

}  // namespace o2c::ml

#endif  // O2C_ML_DATASET_CSV_H_
