// Fuzzing readers of checksummed files (o2c/ml/envelope.h): a mutated file
// almost never keeps a valid CRC-32, so the reader would stop at the
// checksum. Resealing the mutated payload with a fresh checksum lets the
// fuzzer reach the payload decoder behind it.
#ifndef O2C_FUZZ_RESEAL_H_
#define O2C_FUZZ_RESEAL_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "o2c/ml/envelope.h"

namespace o2c::fuzz {

// `bytes` with its payload resealed under `kind` (magic, version, a correct
// CRC-32), or nullopt when `bytes` holds no envelope to take a payload from
// (too short, or the part after the magic does not parse).
std::optional<std::string> Reseal(const ml::EnvelopeKind& kind, const std::string& bytes);

// The body of a fuzz target for a reader of `kind` files: `check` (called
// with the file bytes) sees the fuzz input as given, then resealed.
template <typename Check>
int CheckAsGivenAndResealed(const ml::EnvelopeKind& kind, const uint8_t* data, size_t size,
                            Check check) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  check(bytes);
  if (std::optional<std::string> resealed = Reseal(kind, bytes)) check(*resealed);
  return 0;
}

}  // namespace o2c::fuzz

#endif  // O2C_FUZZ_RESEAL_H_
