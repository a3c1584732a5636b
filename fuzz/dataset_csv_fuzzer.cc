// Fuzzes the CSV dataset reader (o2c::ml::ParseDatasetCsv). Every input is
// a valid dataset or an InvalidArgument naming the file; a dataset formats
// (FormatDatasetCsv) to CSV that reads as the same dataset.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "fuzz/fuzz_check.h"
#include "o2c/ml/dataset_csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<o2c::ml::Dataset> dataset = o2c::ml::ParseDatasetCsv(text, "fuzz.csv");
  if (!dataset.ok()) {
    O2C_FUZZ_CHECK(absl::StartsWith(dataset.status().message(), "fuzz.csv:"),
                   dataset.status().ToString());
    return 0;
  }
  O2C_FUZZ_CHECK(dataset->Validate().ok(), dataset->Validate().ToString());
  const std::string printed = o2c::ml::FormatDatasetCsv(*dataset);
  absl::StatusOr<o2c::ml::Dataset> again = o2c::ml::ParseDatasetCsv(printed, "printed.csv");
  O2C_FUZZ_CHECK(again.ok(), again.status().ToString() + "\n" + printed);
  O2C_FUZZ_CHECK(again->features == dataset->features && again->labels == dataset->labels,
                 printed);
  return 0;
}
