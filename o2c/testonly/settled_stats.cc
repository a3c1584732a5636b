#include "o2c/testonly/settled_stats.h"

#include "absl/time/clock.h"

namespace o2c {

absl::StatusOr<EnforcerStats> SettledStats(Enforcer& enforcer, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    absl::StatusOr<int> polled;
    do {
      polled = enforcer.Poll(0);
      if (!polled.ok()) return polled.status();
    } while (*polled > 0);
    absl::StatusOr<EnforcerStats> stats = enforcer.Stats();
    if (!stats.ok() || stats->live_tracked() == 0 || absl::Now() >= deadline) return stats;
    absl::SleepFor(absl::Milliseconds(20));
  }
}

}  // namespace o2c
