// QuarantineGate: the denying half of the QUARANTINE action. BPF LSM
// programs refuse (EPERM) the compartment's files while a shared state map
// says the compartment is quarantined. A file is the compartment's when one
// of its file_operations handlers (read_iter, write_iter, open, poll) lies in
// the compartment's code: for the pipe compartment, every pipe and FIFO.
//
// Refused, each at the LSM hook the kernel calls on that way in:
//   read, write, readv, writev, sendfile from the file   lsm/file_permission
//   open, FIFO open, reopen through /proc/<pid>/fd       lsm/file_open
//   ioctl                                                lsm/file_ioctl
//   ioctl of a 32-bit process (kernels with the hook)    lsm/file_ioctl_compat
//   fcntl (every command)                                lsm/file_fcntl
//   mmap                                                 lsm/mmap_file
//   SCM_RIGHTS and pidfd_getfd receipt                   lsm/file_receive
// Not refused, because the kernel has no LSM hook there (Uncovered() says
// the same at run time): poll, select and epoll; the pipe end of splice,
// tee, vmsplice and of sendfile into a pipe (the other end of a splice or
// sendfile passes file_permission); pages of a mapping made before the
// quarantine. copy_file_range is no way in: the kernel refuses anything but
// regular files before any hook.
//
// Needs BPF LSM; elsewhere a quarantine can only be reported.
#ifndef O2C_BPF_QUARANTINE_GATE_PROGRAMS_H_
#define O2C_BPF_QUARANTINE_GATE_PROGRAMS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "o2c/bpf/kernel/kallsyms.h"
#include "o2c/bpf/kernel/capabilities.h"

namespace o2c::bpf {

class QuarantineGate {
 public:
  // Loads and attaches the LSM programs (one per hook above; file_ioctl_compat
  // only where the kernel's BTF has that hook). `code`: the compartment's code ranges, in any order
  // (overlapping or touching ones are merged). `quarantine_map_fd`: an ARRAY
  // map of one entry, key u32, value u32, which the programs share (the
  // caller keeps ownership); while its value is non-zero the gate denies.
  // FailedPrecondition, naming why, when the kernel has no BPF LSM;
  // InvalidArgument for a map of another shape or too many ranges. All or
  // nothing: on failure nothing stays loaded or attached.
  static absl::StatusOr<std::unique_ptr<QuarantineGate>> Attach(
      const std::vector<AddressRange>& code, int quarantine_map_fd, const KernelCapabilities& features);

  // Detaches and unloads the programs (the kernel frees them asynchronously).
  ~QuarantineGate();

  QuarantineGate(const QuarantineGate&) = delete;
  QuarantineGate& operator=(const QuarantineGate&) = delete;

  // Accesses refused so far, summed over CPUs.
  absl::StatusOr<uint64_t> Denials() const;

  // The kernel ids of the loaded programs.
  std::vector<uint32_t> ProgramIds() const;

  // The hooks the gate is attached at, as "lsm/file_permission", ...
  std::vector<std::string> Hooks() const;

  // The ways into a compartment file the gate cannot refuse, as
  // "<way>: <why>" (e.g. "poll: no LSM hook; ..."), in a fixed order.
  std::vector<std::string> Uncovered() const;

 private:
  struct State;
  explicit QuarantineGate(std::unique_ptr<State> state);

  std::unique_ptr<State> state_;
};

}  // namespace o2c::bpf

#endif  // O2C_BPF_QUARANTINE_GATE_PROGRAMS_H_
