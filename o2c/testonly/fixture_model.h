// A hand-made audition model for tests and, until `o2c prepare` has made a
// real one, the demo. It is NOT trained: one split that calls every object
// aligned to at least 64 bytes the compartment's own ("align" feature),
// enough to exercise the audition path end to end, not to separate anything.
#ifndef O2C_TESTONLY_FIXTURE_MODEL_H_
#define O2C_TESTONLY_FIXTURE_MODEL_H_

#include "absl/status/statusor.h"
#include "o2c/audition_model.h"

namespace o2c {

absl::StatusOr<AuditionModel> FixtureAuditionModel();

}  // namespace o2c

#endif  // O2C_TESTONLY_FIXTURE_MODEL_H_
