#include "edr_sensor.h"

#include <utility>

#include "o2c/bpf/kernel/kallsyms.h"

namespace edr {

absl::StatusOr<std::unique_ptr<EdrSensor>> EdrSensor::Start(const Config& config) {
  absl::StatusOr<o2c::Policy> policy = o2c::Policy::FromFile(config.policy_path);
  if (!policy.ok()) return policy.status();
  absl::StatusOr<o2c::AuditionModel> model = o2c::AuditionModel::Load(config.model_path);
  if (!model.ok()) return model.status();
  absl::StatusOr<o2c::bpf::Kallsyms> kallsyms = o2c::bpf::Kallsyms::FromFile();
  if (!kallsyms.ok()) return kallsyms.status();
  absl::StatusOr<o2c::Compartment> compartment = o2c::Compartment::Resolve(*policy, *kallsyms);
  if (!compartment.ok()) return compartment.status();

  std::unique_ptr<EdrSensor> sensor(new EdrSensor());
  sensor->compartment_name_ = compartment->name();
  o2c::Enforcer::Options options;
  options.scope_tgid = static_cast<uint32_t>(config.scope_tgid);
  options.object_events = false;  // the agent logs verdicts, not every pipe
  options.on_event = [log = &sensor->log_](const o2c::Event& event) {
    log->push_back(o2c::Enforcer::ToJsonLine(event));
  };
  absl::StatusOr<std::unique_ptr<o2c::Enforcer>> enforcer =
      o2c::Enforcer::Attach(*compartment, *policy, &*model, *kallsyms, std::move(options));
  if (!enforcer.ok()) return enforcer.status();
  sensor->enforcer_ = std::move(*enforcer);
  return sensor;
}

absl::Status EdrSensor::Pump() { return enforcer_->Consume().status(); }

std::vector<std::string> EdrSensor::TakeLog() { return std::exchange(log_, {}); }

absl::StatusOr<std::string> EdrSensor::Metrics() const {
  absl::StatusOr<o2c::EnforcerStats> stats = enforcer_->Stats();
  if (!stats.ok()) return stats.status();
  return o2c::Enforcer::PrometheusText(*stats, compartment_name_);
}

bool EdrSensor::Stop() {
  enforcer_->Detach();
  return enforcer_->ProgramIds().empty() && enforcer_->event_fd() == -1;
}

}  // namespace edr
