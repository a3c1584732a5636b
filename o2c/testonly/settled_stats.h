// Enforcer statistics once a finished workload's objects are all freed.
#ifndef O2C_TESTONLY_SETTLED_STATS_H_
#define O2C_TESTONLY_SETTLED_STATS_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "o2c/enforcer.h"

namespace o2c {

// Polls `enforcer` (delivering its events) until no tracked object is left
// alive or `timeout` has passed, then returns its Stats. A workload that has
// exited may still have files whose last reference another task holds for a
// moment (every BPF iterator over tasks' files takes one on each open file);
// their objects are freed, and leave the private heap, when that task drops
// it. Call from the thread that owns `enforcer`.
absl::StatusOr<EnforcerStats> SettledStats(Enforcer& enforcer,
                                           absl::Duration timeout = absl::Seconds(5));

}  // namespace o2c

#endif  // O2C_TESTONLY_SETTLED_STATS_H_
