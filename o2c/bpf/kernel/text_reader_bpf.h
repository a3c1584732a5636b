// Reading kernel text with bpf_probe_read_kernel where there is no
// /proc/kcore: a BPF_PROG_TYPE_SYSCALL program, run with BPF_PROG_TEST_RUN,
// copies up to a page from a kernel address into a one-entry array map.
#ifndef O2C_BPF_KERNEL_TEXT_READER_BPF_H_
#define O2C_BPF_KERNEL_TEXT_READER_BPF_H_

#include <memory>

#include "absl/status/statusor.h"
#include "o2c/bpf/codegen/emitter.h"
#include "o2c/bpf/kernel/text_reader.h"

namespace o2c::bpf {

// The reader program, its map slot 0 the one-entry array map it copies into.
absl::StatusOr<EmittedProgram> KernelTextReaderProgram();

// Loads the reader program. Fails (with the verifier log) where syscall
// programs or bpf_probe_read_kernel are not available, e.g. under lockdown
// confidentiality.
absl::StatusOr<std::unique_ptr<KernelTextReader>> OpenBpfTextReader();

}  // namespace o2c::bpf

#endif  // O2C_BPF_KERNEL_TEXT_READER_BPF_H_
