// Loading BPF programs into the running kernel, with errors that name the
// program and carry the tail of the verifier log.
//
// Two kinds of programs: raw instruction arrays (O2C's generated code, the
// feature probes) through LoadRawProgram, and CO-RE skeletons through
// LoadSkeleton, which captures libbpf's log while the object loads.
#ifndef O2C_BPF_LOADER_PROGRAM_LOADER_H_
#define O2C_BPF_LOADER_PROGRAM_LOADER_H_

#include <linux/bpf.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "o2c/bpf/loader/scoped_fd.h"

namespace o2c::bpf {

// A program given as instructions.
struct RawProgram {
  std::string name;  // shown in errors and in `bpftool prog` (kernel keeps 15 chars)
  bpf_prog_type type = BPF_PROG_TYPE_UNSPEC;
  bpf_attach_type expected_attach_type = static_cast<bpf_attach_type>(0);
  uint32_t attach_btf_id = 0;  // tracing programs: the BTF id of the hook
  uint32_t prog_flags = 0;     // e.g. BPF_F_SLEEPABLE
  std::vector<bpf_insn> insns;
  std::string license = "GPL";  // GPL-only helpers need it
};

// What the verifier reported about a program it accepted.
struct LoadStats {
  uint32_t insn_count = 0;       // instructions loaded
  uint32_t verified_insns = 0;   // instructions the verifier processed
  double load_seconds = 0;       // wall time of the BPF_PROG_LOAD call(s)
};

// Loads `program`. On refusal the status names it and quotes the verifier
// log's tail: "prog 'audition': load: Permission denied (verifier log: ...)".
absl::StatusOr<ScopedFd> LoadRawProgram(const RawProgram& program,
                                        LoadStats* stats = nullptr);

// The kernel's information on the loaded program `prog_fd` (its id, name,
// run counts and missed runs).
absl::StatusOr<bpf_prog_info> ProgramInfo(int prog_fd);

// The errno a status from this file carries (0 if none): refusals keep the
// kernel's errno so callers can tell EPERM from EINVAL.
int StatusErrno(const absl::Status& status);

// Turns a libbpf error (a negative errno, or -1 with errno set) into a Status
// whose message is "<what>: <strerror>".
absl::Status LibbpfError(int err, absl::string_view what);

// Runs `load` (e.g. a skeleton's __load) while capturing libbpf's log. A
// failure becomes "<what>: <strerror> (libbpf log: ...tail...)".
absl::Status LoadSkeleton(absl::string_view what, const std::function<int()>& load);

// The last `max_bytes` of a verifier or libbpf log, cut at a line boundary.
std::string LogTail(absl::string_view log, size_t max_bytes = 1500);

}  // namespace o2c::bpf

#endif  // O2C_BPF_LOADER_PROGRAM_LOADER_H_
