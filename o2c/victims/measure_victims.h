// The victim miss rate of a policy's model on the running kernel, in one
// call: resolve the policy's compartment, apply the policy's threshold to
// the model as the enforcer does, harvest the victims (victim_harvest.h)
// and score the model on them (victim_miss_rate.h). For `o2c victims`,
// `o2c prepare`'s report and tests.
#ifndef O2C_VICTIMS_MEASURE_VICTIMS_H_
#define O2C_VICTIMS_MEASURE_VICTIMS_H_

#include "absl/status/statusor.h"
#include "o2c/audition_model.h"
#include "o2c/policy.h"
#include "o2c/victims/victim_harvest.h"
#include "o2c/victims/victim_miss_rate.h"

namespace o2c::victims {

struct VictimMeasurement {
  VictimHarvest harvest;  // the victims' features (WithVictimTypeColumn for a file)
  MissRates rates;
};

// Needs root and blocks for the harvest (see HarvestVictims); errors are
// those of kallsyms, Compartment::Resolve, WithOwnThreshold, HarvestVictims
// and ScoreVictims.
absl::StatusOr<VictimMeasurement> MeasureVictimMissRates(const Policy& policy,
                                                 const AuditionModel& model,
                                                 const HarvestOptions& options);

}  // namespace o2c::victims

#endif  // O2C_VICTIMS_MEASURE_VICTIMS_H_
