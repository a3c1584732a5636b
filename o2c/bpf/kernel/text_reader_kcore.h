// Reading kernel text from /proc/kcore: an ELF core file whose PT_LOAD
// program headers map kernel virtual addresses to file offsets.
#ifndef O2C_BPF_KERNEL_TEXT_READER_KCORE_H_
#define O2C_BPF_KERNEL_TEXT_READER_KCORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "o2c/bpf/kernel/text_reader.h"

namespace o2c::bpf {

// Opens `path` (an ELF64 little-endian core file) and indexes its PT_LOAD
// segments. NotFound when the file does not exist (kernels without
// CONFIG_PROC_KCORE), InvalidArgument when it is not such a core file.
absl::StatusOr<std::unique_ptr<KernelTextReader>> OpenKcoreReader(
    const std::string& path = "/proc/kcore");

}  // namespace o2c::bpf

#endif  // O2C_BPF_KERNEL_TEXT_READER_KCORE_H_
