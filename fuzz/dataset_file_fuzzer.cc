// Fuzzes the protobuf dataset reader (o2c::ml::ParseDatasetFile) on the
// bytes as given and resealed with a valid checksum. A dataset that reads
// is valid, and writes back to bytes that read again as the same shape.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_check.h"
#include "fuzz/reseal.h"
#include "o2c/ml/dataset_file.h"

namespace {

void ParseAndCheck(const std::string& bytes) {
  absl::StatusOr<o2c::ml::Dataset> data = o2c::ml::ParseDatasetFile(bytes, "fuzz.o2cd");
  if (!data.ok()) return;
  O2C_FUZZ_CHECK(data->Validate().ok(), data->Validate().ToString());
  absl::StatusOr<o2c::ml::Dataset> again =
      o2c::ml::ParseDatasetFile(o2c::ml::SerializeDatasetFile(*data), "again.o2cd");
  O2C_FUZZ_CHECK(again.ok(), again.status().ToString());
  O2C_FUZZ_CHECK(again->features == data->features && again->labels == data->labels,
                 "dataset changed on a write and read");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return o2c::fuzz::CheckAsGivenAndResealed(o2c::ml::kDatasetFileKind, data, size, ParseAndCheck);
}
