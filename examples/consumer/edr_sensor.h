// EdrSensor: how a security vendor's agent wraps O2C. It uses the four
// public types for one compartment (Policy, AuditionModel, Compartment,
// Enforcer), turns events into the agent's own log (JSON lines, one per event) and
// exposes the counters for the agent's metrics endpoint.
//
// Threading: one thread drives a sensor (Pump, TakeLog, Metrics, Stop); the
// agent's event loop polls fd() and calls Pump when it is readable.
#ifndef EDR_AGENT_EDR_SENSOR_H_
#define EDR_AGENT_EDR_SENSOR_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "o2c/audition_model.h"
#include "o2c/compartment.h"
#include "o2c/enforcer.h"
#include "o2c/policy.h"

namespace edr {

class EdrSensor {
 public:
  struct Config {
    std::string policy_path;
    std::string model_path;
    pid_t scope_tgid = 0;  // 0: the whole system
  };

  // Loads the policy and the model, resolves the compartment on this
  // kernel and attaches. Errors name the file or the kernel's refusal.
  static absl::StatusOr<std::unique_ptr<EdrSensor>> Start(const Config& config);

  // Readable when events wait: add it to the agent's poll set.
  int fd() const { return enforcer_->event_fd(); }
  // Moves pending events into the log.
  absl::Status Pump();
  // The log lines gathered since the last call.
  std::vector<std::string> TakeLog();
  // The counters in Prometheus' text format.
  absl::StatusOr<std::string> Metrics() const;
  // Detaches; true if no O2C program stayed loaded.
  bool Stop();

 private:
  EdrSensor() = default;

  // The enforcer copies what it needs at Attach: the policy, model and
  // compartment are not kept.
  std::string compartment_name_;
  std::unique_ptr<o2c::Enforcer> enforcer_;
  std::vector<std::string> log_;
};

}  // namespace edr

#endif  // EDR_AGENT_EDR_SENSOR_H_
