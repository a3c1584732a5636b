// The audition features (features.h) named for model files and datasets:
// the schema every model used by the enforcer must have been trained on.
#ifndef O2C_BPF_EXTRACTOR_SCHEMA_H_
#define O2C_BPF_EXTRACTOR_SCHEMA_H_

#include "o2c/ml/feature_schema.h"

namespace o2c::bpf {

// Names, meanings and word-class value names of lib/features.bpf.h's
// output, in o2c_features.value[] order (O2C_FEATURES_VERSION).
const ml::FeatureSchema& ExtractorFeatureSchema();

}  // namespace o2c::bpf

#endif  // O2C_BPF_EXTRACTOR_SCHEMA_H_
