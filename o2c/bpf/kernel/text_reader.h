// KernelTextReader: reads the running kernel's machine code (to find the call
// sites of allocators inside a compartment). Two ways: /proc/kcore where the
// kernel has one, else a BPF program that copies text with
// bpf_probe_read_kernel (this host: no /proc/kcore, but the helper works).
#ifndef O2C_BPF_KERNEL_TEXT_READER_H_
#define O2C_BPF_KERNEL_TEXT_READER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace o2c::bpf {

class KernelTextReader {
 public:
  virtual ~KernelTextReader() = default;

  // `size` bytes of kernel memory at `address`; an error names the address.
  virtual absl::StatusOr<std::vector<uint8_t>> Read(uint64_t address,
                                                    size_t size) const = 0;
  // How it reads ("/proc/kcore", "bpf_probe_read_kernel"), for output.
  virtual std::string Describe() const = 0;
};

// /proc/kcore if it can be opened and parsed, else the BPF reader. The error,
// when neither works, gives both reasons.
absl::StatusOr<std::unique_ptr<KernelTextReader>> OpenKernelTextReader();

}  // namespace o2c::bpf

#endif  // O2C_BPF_KERNEL_TEXT_READER_H_
