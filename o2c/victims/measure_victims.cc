#include "o2c/victims/measure_victims.h"

#include <optional>

#include "o2c/bpf/kernel/kallsyms.h"
#include "o2c/compartment.h"
#include "o2c/internal/status_macros.h"

namespace o2c::victims {

absl::StatusOr<VictimMeasurement> MeasureVictimMissRates(const Policy& policy,
                                                 const AuditionModel& model,
                                                 const HarvestOptions& options) {
  const AuditionModel* enforced = &model;
  std::optional<AuditionModel> thresholded;
  if (policy.own_threshold_set()) {
    O2C_ASSIGN_OR_RETURN(thresholded, model.WithOwnThreshold(policy.own_threshold()));
    enforced = &*thresholded;
  }
  O2C_ASSIGN_OR_RETURN(bpf::Kallsyms kallsyms, bpf::Kallsyms::FromFile());
  O2C_ASSIGN_OR_RETURN(Compartment compartment, Compartment::Resolve(policy, kallsyms));
  VictimMeasurement m;
  O2C_ASSIGN_OR_RETURN(m.harvest, HarvestVictims(compartment, kallsyms, options));
  O2C_ASSIGN_OR_RETURN(m.rates, ScoreVictims(*enforced, m.harvest));
  return m;
}

}  // namespace o2c::victims
