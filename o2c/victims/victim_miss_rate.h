// The figure that matters for an audition model: of the objects an exploit
// would make the compartment free (the victims), how many the model would
// call the compartment's own and so let the exploit free unchallenged. Per
// victim type, with counts and a 95 % Wilson score interval (sound for the
// small counts and the rates near 0 that a good model gives).
#ifndef O2C_VICTIMS_VICTIM_MISS_RATE_H_
#define O2C_VICTIMS_VICTIM_MISS_RATE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "o2c/audition_model.h"
#include "o2c/victims/victim_harvest.h"

namespace o2c::victims {

// A proportion's 95 % Wilson score interval; [0, 1] when total is 0.
struct Interval {
  double low = 0;
  double high = 1;
};
Interval WilsonInterval(int64_t hits, int64_t total);

struct MissRate {
  std::string type;        // the victim type, or "all victims"
  int64_t objects = 0;     // victims of this type freed during the harvest
  int64_t called_own = 0;  // ... that the model calls "own": misses
  double rate() const { return objects ? static_cast<double>(called_own) / objects : 0; }
  Interval interval;       // of rate()
};

struct MissRates {
  std::string model_kernel;     // the kernel the model was prepared on
  std::string harvest_kernel;   // the kernel the victims came from
  std::vector<MissRate> types;  // harvested types with at least one object, catalogue order
  MissRate all;                 // every victim pooled
  std::vector<std::string> absent;        // types whose functions are not in this kernel
  std::vector<std::string> not_made;      // present, but none freed under the workload
  std::vector<std::string> compartment_own;  // the compartment's own objects here
  // The harvest's counters (VictimHarvest), so a report says what was seen.
  double harvest_seconds = 0;
  uint64_t tracked = 0;
  uint64_t not_seen_freed = 0;
  uint64_t map_full = 0;
  uint64_t samples_lost = 0;
};

// Scores `model` as the enforcer runs it (apply the policy's threshold
// first: AuditionModel::WithOwnThreshold) on the harvest. FailedPrecondition
// when the model reads another feature schema than the harvest's, or has no
// class named "own".
absl::StatusOr<MissRates> ScoreVictims(const AuditionModel& model, const VictimHarvest& harvest);

// A plain-text table, one type a line, then the pooled rate and the lists.
std::string FormatMissRates(const MissRates& rates);
// The same as a Markdown section (a "## Victims" heading and a table).
std::string MissRatesMarkdown(const MissRates& rates);

}  // namespace o2c::victims

#endif  // O2C_VICTIMS_VICTIM_MISS_RATE_H_
