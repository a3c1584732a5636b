// CensusPrograms: the census (census.bpf.c) loaded beside an enforcer, whose
// private-heap maps it shares. Run() walks every task's open files once and
// counts the compartment's files whose object the heap does not track: the
// compartment's objects from before the attach that are still alive. Zero
// is the evidence the final phase rests on.
//
// Thread-compatible: one Run() at a time per instance. The enforcer's maps
// must outlive the census (the kernel keeps them alive while the census
// holds them, but their contents are then frozen).
#ifndef O2C_BPF_CENSUS_PROGRAMS_H_
#define O2C_BPF_CENSUS_PROGRAMS_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "o2c/bpf/kernel/kallsyms.h"
#include "o2c/bpf/loader/heap_tracker_maps.h"

namespace o2c::bpf {

// One walk's result (struct o2c_census_counts).
struct CensusCounts {
  uint64_t files = 0;              // open file references walked
  uint64_t compartment_files = 0;  // ... whose handlers are compartment code
  uint64_t tracked = 0;            // ... whose object is tracked
  uint64_t untracked = 0;          // ... whose object predates the attach
  uint64_t no_object = 0;          // ... with no private_data
  uint64_t static_object = 0;      // ... whose object is static (not on the heap)
};

class CensusPrograms {
 public:
  // Loads the census for the compartment `code` (any order), sharing
  // `heap`'s maps; with default HeapMapFds (no heap), every live object of
  // the compartment counts as untracked: a count before any heap exists. `tgid`: only that process's files (0: every task's);
  // `descendants`: and those of every process it started.
  // Errors name the map or the verifier's complaint; a kernel without BPF
  // task_file iterators is FailedPrecondition.
  static absl::StatusOr<std::unique_ptr<CensusPrograms>> Load(const std::vector<AddressRange>& code,
                                                              const HeapMapFds& heap, uint32_t tgid,
                                                              bool descendants = false);
  ~CensusPrograms();
  CensusPrograms(const CensusPrograms&) = delete;
  CensusPrograms& operator=(const CensusPrograms&) = delete;

  // Walks every task's files once (a few milliseconds per thousand files).
  absl::StatusOr<CensusCounts> Run();

  // Kernel id of the loaded program.
  std::vector<uint32_t> ProgramIds() const;

 private:
  struct State;
  explicit CensusPrograms(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace o2c::bpf

#endif  // O2C_BPF_CENSUS_PROGRAMS_H_
