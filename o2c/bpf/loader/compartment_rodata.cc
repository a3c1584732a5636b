#include "o2c/bpf/loader/compartment_rodata.h"

#include <unistd.h>

namespace o2c::bpf {

absl::Status CheckRingBufferBytes(const std::string& what, uint32_t bytes) {
  const uint32_t page = static_cast<uint32_t>(sysconf(_SC_PAGESIZE));
  if (bytes < page || (bytes & (bytes - 1))) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": ring buffer of ", bytes, " bytes; want a power of 2 of at least ", page));
  }
  return absl::OkStatus();
}

}  // namespace o2c::bpf
