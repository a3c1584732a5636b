// The wrapper of every o2c/ml file: 4 magic bytes that say what the file is
// ("O2CM" model, "O2CD" dataset), then a FileEnvelope message with the format
// version, a CRC-32 of the payload and the (never empty) payload. Opening one tells a file
// that is not ours, truncated, corrupted or of another version apart, each
// with its own message naming the file.
#ifndef O2C_ML_ENVELOPE_H_
#define O2C_ML_ENVELOPE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace o2c::ml {

// What a kind of file looks like: its magic, the version this build writes
// and reads, and a word for messages ("model").
struct EnvelopeKind {
  const char* magic;  // exactly 4 characters
  uint32_t version;
  const char* what;
};

// CRC-32 (IEEE 802.3) of `data`, computed by zlib.
uint32_t Crc32(absl::string_view data);

// The file bytes around `payload`.
std::string SealEnvelope(const EnvelopeKind& kind, const std::string& payload);

// The payload of file `bytes`, checked; `file` names it in errors:
//   DataLoss           "m.o2cm: not an O2C model file (bad magic)"
//   DataLoss           "m.o2cm: truncated or corrupted model file (...)"
//   DataLoss           "m.o2cm: checksum mismatch: ..."
//   FailedPrecondition "m.o2cm: model format version 9, this build reads version 1"
absl::StatusOr<std::string> OpenEnvelope(const EnvelopeKind& kind, const std::string& bytes,
                                         const std::string& file);

}  // namespace o2c::ml

#endif  // O2C_ML_ENVELOPE_H_
