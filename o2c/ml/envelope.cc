#include "o2c/ml/envelope.h"

#include <zlib.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "o2c/ml/model.pb.h"

namespace o2c::ml {
namespace {

constexpr size_t kMagicSize = 4;

}  // namespace

uint32_t Crc32(absl::string_view data) {
  return static_cast<uint32_t>(
      crc32_z(crc32_z(0, nullptr, 0), reinterpret_cast<const Bytef*>(data.data()), data.size()));
}

std::string SealEnvelope(const EnvelopeKind& kind, const std::string& payload) {
  proto::FileEnvelope envelope;
  envelope.set_format_version(kind.version);
  envelope.set_crc32(Crc32(payload));
  envelope.set_payload(payload);
  return std::string(kind.magic, kMagicSize) + envelope.SerializeAsString();
}

absl::StatusOr<std::string> OpenEnvelope(const EnvelopeKind& kind, const std::string& bytes,
                                         const std::string& file) {
  if (bytes.size() < kMagicSize || std::memcmp(bytes.data(), kind.magic, kMagicSize) != 0) {
    return absl::DataLossError(absl::StrCat(file, ": not an O2C ", kind.what,
                                            " file (it does not start with '", kind.magic,
                                            "')"));
  }
  proto::FileEnvelope envelope;
  if (!envelope.ParseFromArray(bytes.data() + kMagicSize,
                               static_cast<int>(bytes.size() - kMagicSize))) {
    return absl::DataLossError(absl::StrCat(file, ": truncated or corrupted ", kind.what,
                                            " file (", bytes.size(),
                                            " bytes do not parse as an envelope)"));
  }
  // Version 0 or no payload: the file stops before its envelope is complete
  // (every version we write is >= 1 and every payload is non-empty).
  if (envelope.format_version() == 0 || envelope.payload().empty()) {
    return absl::DataLossError(absl::StrCat(file, ": truncated or corrupted ", kind.what,
                                            " file (", bytes.size(),
                                            " bytes, the envelope is incomplete)"));
  }
  if (envelope.format_version() != kind.version) {
    return absl::FailedPreconditionError(
        absl::StrCat(file, ": ", kind.what, " format version ", envelope.format_version(),
                     ", this build reads version ", kind.version));
  }
  const uint32_t crc = Crc32(envelope.payload());
  if (crc != envelope.crc32()) {
    return absl::DataLossError(absl::StrFormat(
        "%s: checksum mismatch in %s file (stored %08x, computed %08x over %d bytes): "
        "the file is truncated or corrupted",
        file, kind.what, envelope.crc32(), crc, envelope.payload().size()));
  }
  return std::move(*envelope.mutable_payload());
}

}  // namespace o2c::ml
