// CompartmentClaim: one enforcer per compartment and scope on this machine.
//
// Two enforcers on the same code would each track its heap and each answer
// a violation (two kills, two quarantines, every event twice), so a second
// one is refused. The claim is a pair of flock(2) locks on files under
// /run/o2c/claims, named by a hash of the compartment's code ranges: the
// whole system's file, exclusively for a system-wide enforcer and shared
// for a scoped one, and the scoped process's own file, exclusively. The
// kernel drops a lock with the last fd on it, so a killed enforcer leaves
// no stale claim behind. The files stay (empty, on tmpfs): removing one
// could let two enforcers lock two different files of one name.
//
// Scopes overlap when either is the whole system or both name the same
// process. The claim covers the processes that share /run (a container with
// its own /run is not seen). It does not look at other processes' BPF
// objects: opening a prog array by id while its owner tears it down can keep
// it alive in the kernel for good.
#ifndef O2C_BPF_LOADER_COMPARTMENT_CLAIM_H_
#define O2C_BPF_LOADER_COMPARTMENT_CLAIM_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "o2c/bpf/kernel/kallsyms.h"
#include "o2c/bpf/loader/scoped_fd.h"

namespace o2c::bpf {

class CompartmentClaim {
 public:
  // Claims the compartment whose code is `code` for `scope_tgid` (0: the
  // whole system). AlreadyExists, naming `name` and the processes holding
  // an overlapping claim, when there is one. Thread-safe.
  static absl::StatusOr<CompartmentClaim> Take(const std::string& name,
                                               const std::vector<AddressRange>& code,
                                               uint32_t scope_tgid);
  // Releases the claim, also for a process forked meanwhile that shares the
  // locks' open files.
  ~CompartmentClaim();
  CompartmentClaim(CompartmentClaim&& other) noexcept = default;
  CompartmentClaim& operator=(CompartmentClaim&& other) noexcept;

  // The directory of the lock files.
  static constexpr char kDirectory[] = "/run/o2c/claims";

 private:
  CompartmentClaim() = default;
  void Release();

  ScopedFd system_;   // <hash>.all
  ScopedFd process_;  // <hash>.<tgid>, for a scoped claim
};

}  // namespace o2c::bpf

#endif  // O2C_BPF_LOADER_COMPARTMENT_CLAIM_H_
