#include "o2c/enforcer.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/json_util.h"
#include "o2c/bpf/enforcer_programs.h"
#include "o2c/bpf/extractor_schema.h"
#include "o2c/bpf/loader/kmem_hooks.h"
#include "o2c/bpf/quarantine_gate_programs.h"
#include "o2c/bpf/codegen/tree_program.h"
#include "o2c/internal/compartment_ranges.h"
#include "o2c/internal/status_macros.h"

namespace o2c {
namespace {

using Clock = std::chrono::steady_clock;

std::string Hex(uint64_t v) { return absl::StrCat("0x", absl::Hex(v)); }

// The model must read exactly the features the BPF extractor computes.
absl::Status CheckModel(const AuditionModel& model) {
  const ml::FeatureSchema& want = bpf::ExtractorFeatureSchema();
  const ml::FeatureSchema& have = model.schema();
  if (have.extractor_version != 0 && have.extractor_version != want.extractor_version) {
    return absl::FailedPreconditionError(absl::StrCat(
        "model: trained on features of extractor v", have.extractor_version,
        ", the enforcer's extractor is v", want.extractor_version,
        ": the same names may mean other numbers; train it again on data from o2c prepare"));
  }
  if (have.size() != want.size()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "model: ", have.size(), " features, but the enforcer's extractor computes ",
        want.size(), " (", want.Name(0), ", ...): train it on data from o2c prepare"));
  }
  for (int i = 0; i < want.size(); ++i) {
    if (have.features[i].name != want.features[i].name) {
      return absl::FailedPreconditionError(absl::StrCat(
          "model: feature ", i, " is '", have.features[i].name,
          "', the enforcer's extractor computes '", want.features[i].name,
          "' there: the model was trained for another feature schema"));
    }
  }
  const auto& names = model.class_names();
  if (names.size() > O2C_LABEL_OWN && names[O2C_LABEL_OWN] != "own") {
    return absl::FailedPreconditionError(absl::StrCat(
        "model: class ", O2C_LABEL_OWN, " is '", names[O2C_LABEL_OWN],
        "', the enforcer reads it as 'own' (the compartment's object)"));
  }
  return absl::OkStatus();
}

}  // namespace

struct Enforcer::State {
  std::unique_ptr<bpf::EnforcerPrograms> programs;
  std::unique_ptr<bpf::QuarantineGate> gate;  // with QUARANTINE and BPF LSM
  bpf::Kallsyms kallsyms;
  bpf::AddressRange kernel_text;
  Options options;
  policy::FinalPhase final_phase = policy::NO_UNTRACKED_LEFT;
  uint32_t time_limit_seconds = 0;
  std::vector<std::string> class_names;
  Clock::time_point attached_at;
  uint64_t events_lost_reported = 0;
  uint64_t missed_runs_reported = 0;
  bool detached = false;

  void Deliver(const Event& e) {
    if (options.on_event) options.on_event(e);
  }
  Event Convert(const o2c_event& raw) const;
  void SetPhase(Event::Phase phase, const std::string& reason);
};

Event Enforcer::State::Convert(const o2c_event& raw) const {
  Event e;
  e.set_time_ns(raw.time_ns);
  e.set_pid(raw.pid);
  e.set_tgid(raw.tgid);
  e.set_comm(std::string(raw.comm, strnlen(raw.comm, sizeof(raw.comm))));
  e.set_cpu(raw.cpu);
  e.set_object(Hex(raw.object));
  e.set_site(kallsyms.Format(raw.site));
  e.set_size(raw.size);
  switch (raw.kind) {
    case O2C_EVENT_TRACKED: e.set_kind(Event::TRACKED); break;
    case O2C_EVENT_FREED:
      e.set_kind(Event::FREED);
      e.set_by_kernel(raw.detail != 0);
      break;
    case O2C_EVENT_AUDITION:
      e.set_kind(Event::AUDITION);
      e.set_leaf_id(raw.leaf_id);
      e.set_verdict(raw.label >= 0 && raw.label < static_cast<int>(class_names.size())
                        ? class_names[raw.label]
                        : absl::StrCat(raw.label));
      break;
    case O2C_EVENT_VIOLATION:
      e.set_kind(Event::VIOLATION);
      e.set_violation(static_cast<Event::Violation>(raw.detail));
      e.set_leaf_id(raw.leaf_id);
      if (raw.label >= 0) {
        e.set_verdict(raw.label < static_cast<int>(class_names.size())
                          ? class_names[raw.label]
                          : absl::StrCat(raw.label));
      }
      if (raw.actions & O2C_ACTION_AUDIT) e.add_actions("audit");
      if (raw.actions & O2C_ACTION_KILL) e.add_actions("kill");
      if (raw.actions & O2C_ACTION_QUARANTINE) e.add_actions("quarantine");
      {
        // The stack starts inside our program and the hook's machinery
        // (bpf_trace_run2, or kprobe and ftrace frames): start it at the
        // free function the compartment called (kfree+0x20f), just above
        // the free site, when the site is found in it.
        int64_t depth = std::min<int64_t>(raw.stack_bytes / 8, O2C_STACK_DEPTH);
        int64_t first = 0;
        for (int64_t i = 0; i < depth; ++i) {
          if (raw.stack[i] != raw.site) continue;
          first = i > 0 && kernel_text.Contains(raw.stack[i - 1]) ? i - 1 : i;
          break;
        }
        for (int64_t i = first; i < depth; ++i) e.add_stack(kallsyms.Format(raw.stack[i]));
      }
      break;
    case O2C_EVENT_MAP_FULL: e.set_kind(Event::MAP_FULL); break;
    default: e.set_kind(Event::KIND_UNSPECIFIED); break;
  }
  return e;
}

void Enforcer::State::SetPhase(Event::Phase phase, const std::string& reason) {
  programs->SetPhase(phase == Event::FINAL ? O2C_PHASE_FINAL : O2C_PHASE_TRANSITION);
  Event e;
  e.set_kind(Event::PHASE);
  e.set_phase(phase);
  e.set_reason(reason);
  Deliver(e);
}

Enforcer::Enforcer(std::unique_ptr<State> state) : state_(std::move(state)) {}

Enforcer::~Enforcer() { Detach(); }

absl::StatusOr<std::unique_ptr<Enforcer>> Enforcer::Attach(const Compartment& compartment,
                                                           const Policy& policy,
                                                           const AuditionModel* model,
                                                           const bpf::Kallsyms& kallsyms,
                                                           Options options) {
  std::unique_ptr<bpf::KernelCapabilities> probed;
  if (options.features == nullptr) {
    probed = std::make_unique<bpf::KernelCapabilities>(bpf::KernelCapabilities::Probe());
    options.features = probed.get();
  }
  const bpf::KernelCapabilities& features = *options.features;
  if (model != nullptr) O2C_RETURN_IF_ERROR(CheckModel(*model));
  O2C_ASSIGN_OR_RETURN(bpf::KmemHookFlavor flavor, bpf::ChooseKmemHookFlavor(features));
  O2C_ASSIGN_OR_RETURN(bpf::AddressRange kernel_text, kallsyms.KernelText());

  bpf::EnforcerConfig config;
  config.flavor = flavor;
  config.kernel_text = kernel_text;
  config.tgid = options.scope_tgid;
  config.object_events = options.object_events;
  CompartmentRanges ranges = RangesOf(compartment);
  config.code = ranges.code;
  config.alloc_sites = ranges.alloc_sites;
  config.free_sites = ranges.free_sites;
  const bool free_fallback = ranges.free_fallback;
  config.actions = O2C_ACTION_AUDIT;
  for (policy::Action a : policy.actions()) {
    if (a == policy::KILL) config.actions |= O2C_ACTION_KILL;
    if (a == policy::QUARANTINE) config.actions |= O2C_ACTION_QUARANTINE;
  }
  const auto& limits = policy.spec().limits();
  config.max_tracked = limits.max_tracked_objects();
  config.ringbuf_bytes = limits.ring_buffer_bytes();

  auto state = std::make_unique<State>();
  state->kallsyms = kallsyms;
  state->kernel_text = kernel_text;
  state->options = std::move(options);
  state->final_phase = policy.spec().transition().final_phase();
  state->time_limit_seconds = policy.spec().transition().time_limit_seconds();
  O2C_ASSIGN_OR_RETURN(state->programs, bpf::EnforcerPrograms::Load(config));

  std::vector<std::string> mechanisms;
  const char* flavor_name = bpf::KmemHookFlavorName(flavor);
  mechanisms.push_back(absl::StrCat("private heap: ", flavor_name,
                                    " on kmalloc and kmem_cache_alloc (", config.alloc_sites.size(),
                                    compartment.sites_exact() ? " call sites)" : " code ranges)",
                                    "; the tracepoints give the object and its caller together, "
                                    "which fentry, fexit and kprobes at an allocator do not"));
  mechanisms.push_back(absl::StrCat(
      "free sites: ", flavor_name, " on kfree and kmem_cache_free (",
      free_fallback ? "any call inside compartment code" : "exact call sites", "); ",
      features.Has(bpf::Capability::kKprobe) || features.Has(bpf::Capability::kFentry)
          ? "kprobes and fentry work here but are not used (fentry does not see the caller; "
            "detaching kprobes from kfree crashed Debian 6.1: bpf/kmem_hooks.h); "
          : "",
      "a free is seen before it happens but cannot be skipped"));
  if (model != nullptr) {
    state->class_names = model->class_names();
    O2C_ASSIGN_OR_RETURN(bpf::EmittedProgram tree,
                         bpf::CompileAudition({&model->tree(), 1}, bpf::AuditionForm::kTailCall,
                                              {.long_jumps = bpf::KernelHasLongJumps()},
                                              "o2c_audition"));
    for (bpf::FreeHook hook : {bpf::FreeHook::kKfree, bpf::FreeHook::kKmemCacheFree}) {
      O2C_ASSIGN_OR_RETURN(bpf::ScopedFd fd,
                           bpf::LoadAudition(tree, bpf::AuditionForm::kTailCall,
                                             state->programs->AuditionMapFds(hook),
                                             state->programs->AuditionHook(hook)));
      O2C_RETURN_IF_ERROR(state->programs->InstallTree(hook, std::move(fd)));
    }
    mechanisms.push_back(absl::StrCat("audition: the model's tree compiled to ",
                                      tree.insns.size(), " BPF instructions, one copy per free "
                                      "hook, entered by tail call"));
  } else {
    mechanisms.push_back("audition: no model: the final phase starts at once");
  }
  mechanisms.push_back(
      (config.actions & O2C_ACTION_KILL)
          ? "kill: bpf_send_signal(SIGKILL) to the violating task, before it returns to user space"
          : "kill: off in this policy (violations are audited)");
  if (config.actions & O2C_ACTION_QUARANTINE) {
    if (features.Has(bpf::Capability::kLsm)) {
      O2C_ASSIGN_OR_RETURN(state->gate,
                           bpf::QuarantineGate::Attach(config.code,
                                                       state->programs->QuarantineMapFd(),
                                                       features));
      mechanisms.push_back(absl::StrCat(
          "quarantine: after a violation, BPF LSM (", absl::StrJoin(state->gate->Hooks(), ", "),
          ") refuses the compartment's files with EPERM, for every process; not refused (no LSM "
          "hook): ", absl::StrJoin(state->gate->Uncovered(), "; ")));
    } else {
      mechanisms.push_back(absl::StrCat(
          "quarantine: cannot deny here (no BPF LSM: ", features.Get(bpf::Capability::kLsm).detail,
          "): a violation sets the quarantine flag and is reported, nothing is refused"));
    }
  }
  // Said on every kernel: only the FREE column of the access matrix is built.
  mechanisms.push_back(
      "not enforced: the access matrix's READ and WRITE rules and the interface's owned-argument "
      "checks (only FREE rights, through the private heap, are enforced)");

  O2C_RETURN_IF_ERROR(state->programs->Attach());
  state->attached_at = Clock::now();
  auto enforcer = std::unique_ptr<Enforcer>(new Enforcer(std::move(state)));
  enforcer->mechanisms_ = std::move(mechanisms);
  if (model == nullptr) {
    enforcer->state_->SetPhase(Event::FINAL, "no audition model");
  } else {
    enforcer->state_->SetPhase(Event::TRANSITION, "attached");
  }
  return enforcer;
}

absl::StatusOr<int> Enforcer::Poll(int timeout_ms) {
  if (state_->detached) return absl::FailedPreconditionError("enforcer: detached");
  O2C_ASSIGN_OR_RETURN(int n, state_->programs->PollEvents(timeout_ms, [&](const o2c_event& raw) {
    state_->Deliver(state_->Convert(raw));
  }));
  O2C_ASSIGN_OR_RETURN(EnforcerStats stats, Stats());
  if (stats.events_lost > state_->events_lost_reported) {
    Event e;
    e.set_kind(Event::EVENTS_LOST);
    e.set_lost(stats.events_lost - state_->events_lost_reported);
    state_->events_lost_reported = stats.events_lost;
    state_->Deliver(e);
  }
  if (stats.missed_runs > state_->missed_runs_reported) {
    Event e;
    e.set_kind(Event::MISSED_RUNS);
    e.set_lost(stats.missed_runs - state_->missed_runs_reported);
    e.set_missed_allocations(stats.missed_allocations);
    state_->missed_runs_reported = stats.missed_runs;
    state_->Deliver(e);
  }
  if (phase() == Event::TRANSITION) {
    double elapsed =
        std::chrono::duration<double>(Clock::now() - state_->attached_at).count();
    uint64_t auditioned = stats.audition_own + stats.audition_kernel;
    if (state_->final_phase == policy::TIME_LIMIT && state_->time_limit_seconds > 0 &&
        elapsed >= state_->time_limit_seconds) {
      EnterFinalPhase(absl::StrCat("time limit of ", state_->time_limit_seconds, " s"));
    } else if (state_->final_phase == policy::NO_UNTRACKED_LEFT &&
               state_->options.untracked_estimate > 0 &&
               auditioned >= state_->options.untracked_estimate) {
      EnterFinalPhase(absl::StrCat("no untracked object left (", auditioned, " of an estimated ",
                                   state_->options.untracked_estimate, " auditioned)"));
    }
  }
  return n;
}

void Enforcer::EnterFinalPhase(const std::string& reason) {
  if (state_->detached || phase() == Event::FINAL) return;
  state_->SetPhase(Event::FINAL, reason);
}

Event::Phase Enforcer::phase() const {
  if (!state_->programs) return Event::PHASE_UNSPECIFIED;
  return state_->programs->phase() == O2C_PHASE_FINAL ? Event::FINAL : Event::TRANSITION;
}

absl::StatusOr<EnforcerStats> Enforcer::Stats() const {
  if (!state_->programs) return absl::FailedPreconditionError("enforcer: detached");
  O2C_ASSIGN_OR_RETURN(bpf::EnforcerStats raw, state_->programs->ReadStats());
  EnforcerStats s;
  s.tracked = raw[O2C_STAT_TRACKED];
  s.freed_own = raw[O2C_STAT_FREED_OWN];
  s.freed_by_kernel = raw[O2C_STAT_FREED_BY_KERNEL];
  s.untracked_frees = raw[O2C_STAT_UNTRACKED_FREES];
  s.audition_own = raw[O2C_STAT_AUDITION_OWN];
  s.audition_kernel = raw[O2C_STAT_AUDITION_KERNEL];
  s.violations = raw[O2C_STAT_VIOLATIONS];
  s.kills = raw[O2C_STAT_KILLS];
  s.map_full = raw[O2C_STAT_MAP_FULL];
  s.events = raw[O2C_STAT_EVENTS];
  s.events_lost = raw[O2C_STAT_EVENTS_LOST];
  O2C_ASSIGN_OR_RETURN(bpf::MissedRuns missed, state_->programs->Missed());
  s.missed_allocations = missed.allocations;
  s.missed_frees = missed.frees;
  s.missed_runs = missed.allocations + missed.frees;
  if (state_->gate) {
    O2C_ASSIGN_OR_RETURN(s.quarantine_denials, state_->gate->Denials());
  }
  return s;
}

std::vector<uint32_t> Enforcer::ProgramIds() const {
  std::vector<uint32_t> ids =
      state_->programs ? state_->programs->ProgramIds() : std::vector<uint32_t>{};
  if (state_->gate) {
    for (uint32_t id : state_->gate->ProgramIds()) ids.push_back(id);
  }
  return ids;
}

void Enforcer::Detach() {
  if (!state_ || state_->detached) return;
  state_->detached = true;
  state_->gate.reset();
  state_->programs.reset();
}

bool Enforcer::quarantined() const {
  return state_->programs && state_->programs->quarantined();
}

std::string Enforcer::ToJsonLine(const Event& event) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(event, &json, options).ok()) return "{}";
  return json;
}

}  // namespace o2c
