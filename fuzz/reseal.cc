#include "fuzz/reseal.h"

#include "o2c/ml/model.pb.h"

namespace o2c::fuzz {

std::optional<std::string> Reseal(const ml::EnvelopeKind& kind, const std::string& bytes) {
  constexpr size_t kMagicSize = 4;
  if (bytes.size() < kMagicSize) return std::nullopt;
  ml::proto::FileEnvelope envelope;
  if (!envelope.ParseFromArray(bytes.data() + kMagicSize,
                               static_cast<int>(bytes.size() - kMagicSize))) {
    return std::nullopt;
  }
  return ml::SealEnvelope(kind, envelope.payload());
}

}  // namespace o2c::fuzz
