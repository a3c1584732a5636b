// Fuzzes the model file reader (o2c::ml::ParseModelFile) on the bytes as
// given (the envelope checks) and resealed with a valid checksum (the model
// decoder and tree checks behind it). A model that reads writes back to
// bytes that read again, and each of its trees can be walked.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "fuzz/reseal.h"
#include "o2c/ml/model_file.h"

namespace {

void ParseAndCheck(const std::string& bytes) {
  absl::StatusOr<o2c::ml::ModelFile> model = o2c::ml::ParseModelFile(bytes, "fuzz.o2cm");
  if (!model.ok()) return;
  for (const o2c::ml::DecisionTree& tree : model->trees) {
    // Any sample reaches a leaf of a valid tree.
    const std::vector<int64_t> sample(tree.num_features, 0);
    const o2c::ml::TreePrediction p = tree.Predict(sample);
    O2C_FUZZ_CHECK(p.label >= 0 && p.label < tree.num_classes, "leaf label out of range");
  }
  absl::StatusOr<o2c::ml::ModelFile> again =
      o2c::ml::ParseModelFile(o2c::ml::SerializeModelFile(*model), "again.o2cm");
  O2C_FUZZ_CHECK(again.ok(), again.status().ToString());
  O2C_FUZZ_CHECK(again->trees.size() == model->trees.size(), "tree count changed");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return o2c::fuzz::CheckAsGivenAndResealed(o2c::ml::kModelFileKind, data, size, ParseAndCheck);
}
