// Harvesting victims: the preparation phase's profiler pointed at the victim
// types (victim_types.h) instead of a compartment's heap. It tracks every
// object allocated by a victim type's functions and, when anyone frees it,
// extracts its features as the enforcer would for `compartment` (the
// features that read "points into compartment code" are the guarded
// compartment's), so a model can be scored on exactly the objects an
// exploit would make that compartment free.
//
//   HarvestOptions options;                       // the built-in workload
//   O2C_ASSIGN_OR_RETURN(VictimHarvest h, HarvestVictims(compartment, kallsyms, options));
#ifndef O2C_VICTIMS_VICTIM_HARVEST_H_
#define O2C_VICTIMS_VICTIM_HARVEST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "o2c/bpf/kernel/kallsyms.h"
#include "o2c/compartment.h"
#include "o2c/ml/dataset.h"
#include "o2c/victims/victim_types.h"

namespace o2c::victims {

struct HarvestOptions {
  // Run as /bin/sh -c WORKLOAD (must exit 0). Empty: MakeVictims(rounds)
  // (victim_workload.h) in a forked child.
  std::string workload;
  int rounds = 100;
  // After the workload ends, how long to keep harvesting: RCU callbacks and
  // the key garbage collector free objects after their last user is gone.
  double settle_seconds = 2;
  uint32_t max_tracked = 65536;  // victims alive at once the profiler can track
  // The sample ring: harvesting is system-wide, and a busy machine frees
  // many files (losses are counted in VictimHarvest::samples_lost).
  uint32_t ringbuf_bytes = 1u << 25;
};

// One victim type on this kernel, and what the harvest saw of it.
struct HarvestedType {
  ResolvedVictim victim;
  // Allocated by the compartment's own code (pipe_buffer for the pipe
  // compartment): its objects are the compartment's, not victims here. Not
  // harvested.
  bool compartment_own = false;
  int64_t samples = 0;  // objects freed, rows of VictimHarvest::dataset
};

struct VictimHarvest {
  std::vector<HarvestedType> types;  // catalogue order
  // The extractor's features of every victim freed (all labelled "kernel"),
  // and the index into `types` of each row.
  ml::Dataset dataset;
  std::vector<int> type_of_row;
  uint64_t tracked = 0;       // victim allocations tracked
  uint64_t map_full = 0;      // victim allocations not tracked: the map was full
  uint64_t samples_lost = 0;  // freed victims lost: the sample ring was full
  // Tracked victims never seen freed: still alive, or freed in bulk (a
  // kfree_rcu batch), which the kmem tracepoints do not report per object.
  uint64_t not_seen_freed = 0;
  uint64_t unattributed = 0;  // samples whose allocation site no type claims (none expected)
  double seconds = 0;
};

// Harvests under the workload. Needs root (loads BPF); blocks until the
// workload ends and settle_seconds pass; one call at a time (the profiler
// is system-wide, every process's victims count). FailedPrecondition naming
// the workload when it fails, or when no catalogue type exists here.
// The harvest's dataset with one more column, "victim_type" (its values
// named after the catalogue), for `o2c evaluate` and `o2c explain`, which
// ignore or show it.
ml::Dataset WithVictimTypeColumn(const VictimHarvest& harvest);

absl::StatusOr<VictimHarvest> HarvestVictims(const Compartment& compartment,
                                             const bpf::Kallsyms& kallsyms,
                                             const HarvestOptions& options);

}  // namespace o2c::victims

#endif  // O2C_VICTIMS_VICTIM_HARVEST_H_
