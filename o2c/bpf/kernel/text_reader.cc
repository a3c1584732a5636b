#include "o2c/bpf/kernel/text_reader.h"

#include "absl/strings/str_cat.h"
#include "o2c/bpf/kernel/text_reader_bpf.h"
#include "o2c/bpf/kernel/text_reader_kcore.h"

namespace o2c::bpf {

absl::StatusOr<std::unique_ptr<KernelTextReader>> OpenKernelTextReader() {
  absl::StatusOr<std::unique_ptr<KernelTextReader>> kcore = OpenKcoreReader();
  if (kcore.ok()) return kcore;
  absl::StatusOr<std::unique_ptr<KernelTextReader>> bpf = OpenBpfTextReader();
  if (bpf.ok()) return bpf;
  return absl::Status(bpf.status().code(),
                      absl::StrCat("cannot read kernel text: ", kcore.status().message(),
                                   "; ", bpf.status().message()));
}

}  // namespace o2c::bpf
