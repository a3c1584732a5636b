#include "o2c/enforcer.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <mutex>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "o2c/bpf/census_programs.h"
#include "o2c/bpf/codegen/tree_program.h"
#include "o2c/bpf/enforcer_programs.h"
#include "o2c/bpf/extractor_schema.h"
#include "o2c/bpf/loader/kmem_hooks.h"
#include "o2c/bpf/quarantine_gate_programs.h"
#include "o2c/internal/compartment_ranges.h"
#include "o2c/internal/status_macros.h"

namespace o2c {
namespace {

using Clock = std::chrono::steady_clock;

absl::Status DetachedError() { return absl::FailedPreconditionError("enforcer: detached"); }

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

// The kernel-side configuration: the compartment's ranges, the policy's
// actions and limits, the caller's scope.
bpf::EnforcerConfig BuildConfig(const CompartmentRanges& ranges, const Policy& policy,
                                const Enforcer::Options& options, bpf::KmemHookFlavor flavor,
                                bpf::AddressRange kernel_text) {
  bpf::EnforcerConfig config;
  config.flavor = flavor;
  config.kernel_text = kernel_text;
  config.tgid = options.scope_tgid;
  config.descendants = options.scope_descendants;
  config.object_events = options.object_events;
  config.code = ranges.code;
  config.alloc_sites = ranges.alloc_sites;
  config.free_sites = ranges.free_sites;
  config.actions = O2C_ACTION_AUDIT;
  for (policy::Action a : policy.actions()) {
    if (a == policy::KILL) config.actions |= O2C_ACTION_KILL;
    if (a == policy::QUARANTINE) config.actions |= O2C_ACTION_QUARANTINE;
  }
  const auto& limits = policy.spec().limits();
  config.max_tracked = limits.max_tracked_objects();
  config.max_tracked_per_uid = limits.has_max_tracked_objects_per_uid()
                                   ? limits.max_tracked_objects_per_uid()
                                   : std::max<uint32_t>(1, limits.max_tracked_objects() / 2);
  config.ringbuf_bytes = limits.ring_buffer_bytes();
  // Auditions come in bursts (a workload closing its old pipes at once) and
  // may fill half of it; the other half is the violations'.
  config.verdict_ringbuf_bytes = 1 << 20;
  return config;
}

HookMechanism::Kind KindOf(bpf::KmemHookFlavor flavor) {
  return flavor == bpf::KmemHookFlavor::kTpBtf ? HookMechanism::Kind::kTpBtf
                                               : HookMechanism::Kind::kRawTp;
}

HookMechanism DescribePrivateHeap(const bpf::EnforcerConfig& config, bool sites_exact) {
  return {.duty = "private heap",
          .hooks = "kmalloc, kmem_cache_alloc",
          .kind = KindOf(config.flavor),
          .exact = sites_exact,
          .can_deny = false,
          .notes = absl::StrCat(config.alloc_sites.size(),
                                sites_exact ? " call sites" : " code ranges",
                                "; the tracepoints give the object and its caller together, "
                                "which fentry, fexit and kprobes at an allocator do not")};
}

HookMechanism DescribeFreeSites(const bpf::EnforcerConfig& config, bool free_fallback,
                                const bpf::KernelCapabilities& capabilities) {
  const bool faster_hooks_work = capabilities.Has(bpf::Capability::kKprobe) ||
                                 capabilities.Has(bpf::Capability::kFentry);
  return {.duty = "free sites",
          .hooks = "kfree, kmem_cache_free",
          .kind = KindOf(config.flavor),
          .exact = !free_fallback,
          .can_deny = false,
          .notes = absl::StrCat(
              free_fallback ? "any call inside compartment code" : "exact call sites", "; ",
              faster_hooks_work
                  ? "kprobes and fentry work here but are not used (fentry does not see the "
                    "caller; detaching kprobes from kfree crashed Debian 6.1); "
                  : "",
              "a free is seen before it happens but cannot be skipped")};
}

HookMechanism DescribeKill(uint32_t actions) {
  if (!(actions & O2C_ACTION_KILL)) {
    return {.duty = "kill", .kind = HookMechanism::Kind::kNone,
            .notes = "off in this policy (violations are audited)"};
  }
  return {.duty = "kill",
          .hooks = "kfree, kmem_cache_free",
          .kind = HookMechanism::Kind::kSendSignal,
          .exact = true,
          .can_deny = false,
          .notes = "SIGKILL to the violating task, before it returns to user space; only a user "
                   "task freeing in process context (in an interrupt or a kernel thread the "
                   "event says so and names no victim); never while the heap is incomplete or "
                   "the final phase unconfirmed (those verdicts are downgraded to AUDIT)"};
}

HookMechanism DescribeCensus(const absl::Status& loaded) {
  if (!loaded.ok()) {
    return {.duty = "census",
            .kind = HookMechanism::Kind::kNone,
            .notes = absl::StrCat("unavailable (", loaded.message(),
                                  "): the final phase is never confirmed by evidence, so "
                                  "untracked frees stay auditioned (or, without a model, "
                                  "reported without action)")};
  }
  return {.duty = "census",
          .hooks = "iter/task_file",
          .kind = HookMechanism::Kind::kIterator,
          .exact = false,
          .can_deny = false,
          .notes = "walks every task's open files; the compartment's files whose object "
                   "(file->private_data) the heap does not track are objects from before the "
                   "attach: none left confirms the final phase. It cannot see objects reachable "
                   "from no open file (in flight in SCM_RIGHTS, kept on the component's own "
                   "lists)"};
}

// Said on every kernel: only the FREE column of the access matrix is built.
std::vector<std::string> NotEnforced() {
  return {"the access matrix's READ and WRITE rules",
          "the interface's owned-argument checks"};
}

}  // namespace

struct Enforcer::State {
  // Guards everything below except the fields fixed at Attach (options,
  // kallsyms, kernel_text, final_phase, time_limit_seconds, class_names,
  // attached_at).
  mutable std::mutex mu;
  std::unique_ptr<bpf::EnforcerPrograms> programs;
  std::unique_ptr<bpf::QuarantineGate> gate;  // with QUARANTINE and BPF LSM
  std::unique_ptr<bpf::CensusPrograms> census;  // where BPF iterators load
  Clock::time_point last_census;
  int64_t census_untracked = -1;
  uint64_t verdict_events_lost_reported = 0;
  uint64_t object_events_lost_reported = 0;
  uint64_t missed_runs_reported = 0;
  uint64_t missed_allocations_seen = 0;

  bpf::Kallsyms kallsyms;
  bpf::AddressRange kernel_text;
  Options options;
  policy::FinalPhase final_phase = policy::NO_UNTRACKED_LEFT;
  uint32_t time_limit_seconds = 0;
  std::vector<std::string> class_names;
  Clock::time_point attached_at;

  // Outside `mu`: on_event may call back into the Enforcer.
  void Deliver(const std::vector<Event>& events) const {
    if (!options.on_event) return;
    for (const Event& e : events) options.on_event(e);
  }
  Event Convert(const o2c_event& raw) const;
  std::string ClassName(int32_t label) const;

  // Attach steps.
  absl::StatusOr<HookMechanism> LoadAudition(const AuditionModel* model);
  absl::StatusOr<HookMechanism> AttachQuarantineGate(
      const std::vector<bpf::AddressRange>& code, const bpf::KernelCapabilities& capabilities);

  // With `mu` held.
  absl::StatusOr<EnforcerStats> StatsLocked() const;
  Event::Phase PhaseLocked() const;
  Event SetPhaseLocked(Event::Phase phase, const std::string& reason);
  void ReportLossesLocked(const EnforcerStats& stats, std::vector<Event>& out);
  void ApplyFinalPhaseConditionLocked(const EnforcerStats& stats, std::vector<Event>& out);
  // Runs the census if one is due; true when it found no object from before
  // the attach alive.
  bool CensusSaysNoneLeftLocked(bool force);
  // Enters the final phase, confirmed on evidence (or by the operator).
  Event EnterFinalLocked(const std::string& reason);
};

std::string Enforcer::State::ClassName(int32_t label) const {
  return label >= 0 && label < static_cast<int>(class_names.size()) ? class_names[label]
                                                                    : absl::StrCat(label);
}

Event Enforcer::State::Convert(const o2c_event& raw) const {
  Event e;
  e.set_time_ns(raw.time_ns);
  e.set_pid(raw.pid);
  e.set_tgid(raw.tgid);
  e.set_comm(std::string(raw.comm, strnlen(raw.comm, sizeof(raw.comm))));
  e.set_cpu(raw.cpu);
  e.set_object(raw.object);
  e.set_site_address(raw.site);
  e.set_site(kallsyms.Format(raw.site));
  e.set_size(raw.size);
  if (raw.kind == O2C_EVENT_VIOLATION || raw.kind == O2C_EVENT_AUDITION) {
    e.set_context(static_cast<Event::Context>(raw.context + 1));
    e.set_downgraded(raw.flags & O2C_EVENT_DOWNGRADED);
    e.set_late_audition(raw.flags & O2C_EVENT_LATE_AUDITION);
    e.set_not_signalled(raw.flags & O2C_EVENT_NOT_SIGNALLED);
  }
  switch (raw.kind) {
    case O2C_EVENT_TRACKED: e.set_kind(Event::TRACKED); break;
    case O2C_EVENT_FREED:
      e.set_kind(Event::FREED);
      e.set_by_kernel(raw.detail != 0);
      break;
    case O2C_EVENT_AUDITION:
      e.set_kind(Event::AUDITION);
      e.set_leaf_id(raw.leaf_id);
      e.set_verdict(ClassName(raw.label));
      break;
    case O2C_EVENT_VIOLATION: {
      e.set_kind(Event::VIOLATION);
      e.set_violation(static_cast<Event::Violation>(raw.detail));
      e.set_leaf_id(raw.leaf_id);
      if (raw.label >= 0) e.set_verdict(ClassName(raw.label));
      if (raw.actions & O2C_ACTION_AUDIT) e.add_actions(Event::ACTION_AUDIT);
      if (raw.actions & O2C_ACTION_KILL) e.add_actions(Event::ACTION_KILL);
      if (raw.actions & O2C_ACTION_QUARANTINE) e.add_actions(Event::ACTION_QUARANTINE);
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
      for (int64_t i = first; i < depth; ++i) {
        e.add_stack(kallsyms.Format(raw.stack[i]));
        e.add_stack_addresses(raw.stack[i]);
      }
      break;
    }
    case O2C_EVENT_MAP_FULL:
      e.set_kind(Event::MAP_FULL);
      e.set_reason(raw.detail == O2C_UNTRACKED_UID_QUOTA ? "the allocating user's quota is full"
                                                          : "the heap is full");
      break;
    default: e.set_kind(Event::KIND_UNSPECIFIED); break;
  }
  return e;
}

absl::StatusOr<HookMechanism> Enforcer::State::LoadAudition(const AuditionModel* model) {
  if (model == nullptr) {
    return HookMechanism{.duty = "audition", .kind = HookMechanism::Kind::kNone,
                         .notes = "no model: the final phase starts at once"};
  }
  class_names = model->class_names();
  O2C_ASSIGN_OR_RETURN(bpf::EmittedProgram tree,
                       bpf::CompileAudition({&model->tree(), 1}, bpf::AuditionForm::kTailCall,
                                            {.long_jumps = bpf::KernelHasLongJumps()},
                                            "o2c_audition"));
  for (bpf::FreeHook hook : {bpf::FreeHook::kKfree, bpf::FreeHook::kKmemCacheFree}) {
    O2C_ASSIGN_OR_RETURN(bpf::ScopedFd fd,
                         bpf::LoadAudition(tree, bpf::AuditionForm::kTailCall,
                                           programs->AuditionMapFds(hook),
                                           programs->AuditionHook(hook)));
    O2C_RETURN_IF_ERROR(programs->InstallTree(hook, std::move(fd)));
  }
  // Struct layouts differ between kernels: a model prepared on another
  // kernel's objects may call this kernel's objects anything.
  const std::string running = bpf::RunningKernelRelease();
  const std::string& prepared_on = model->schema().kernel_release;
  const bool foreign = prepared_on != running;
  programs->SetModelForeign(foreign);
  return HookMechanism{
      .duty = "audition",
      .hooks = "kfree, kmem_cache_free",
      .kind = HookMechanism::Kind::kTailCall,
      .exact = true,
      .can_deny = false,
      .notes = absl::StrCat(
          "the model's tree compiled to ", tree.insns.size(),
          " BPF instructions, one copy per free hook",
          foreign ? absl::StrCat("; the model was prepared on ",
                                 prepared_on.empty() ? "an unknown kernel"
                                                     : absl::StrCat("kernel ", prepared_on),
                                 ", this is ", running,
                                 ": its verdicts are reported and never acted on (prepare "
                                 "a model here to arm them)")
                  : "")};
}

absl::StatusOr<HookMechanism> Enforcer::State::AttachQuarantineGate(
    const std::vector<bpf::AddressRange>& code, const bpf::KernelCapabilities& capabilities) {
  if (!capabilities.Has(bpf::Capability::kLsm)) {
    return HookMechanism{
        .duty = "quarantine",
        .kind = HookMechanism::Kind::kNone,
        .can_deny = false,
        .notes = absl::StrCat("cannot deny here (no BPF LSM: ",
                              capabilities.Get(bpf::Capability::kLsm).detail,
                              "): a violation sets the quarantine flag and is reported, "
                              "nothing is refused")};
  }
  O2C_ASSIGN_OR_RETURN(gate, bpf::QuarantineGate::Attach(code, programs->QuarantineMapFd(),
                                                         capabilities));
  return HookMechanism{
      .duty = "quarantine",
      .hooks = absl::StrJoin(gate->Hooks(), ", "),
      .kind = HookMechanism::Kind::kLsm,
      .exact = true,
      .can_deny = true,
      .notes = absl::StrCat("after a violation, refuses the compartment's files with EPERM, for "
                            "every process; not refused (no LSM hook): ",
                            absl::StrJoin(gate->Uncovered(), "; "))};
}

absl::StatusOr<EnforcerStats> Enforcer::State::StatsLocked() const {
  if (!programs) return DetachedError();
  O2C_ASSIGN_OR_RETURN(bpf::EnforcerCounters raw, programs->ReadStats());
  EnforcerStats s;
  s.tracked = raw[O2C_STAT_TRACKED];
  s.freed_own = raw[O2C_STAT_FREED_OWN];
  s.freed_by_kernel = raw[O2C_STAT_FREED_BY_KERNEL];
  s.untracked_frees = raw[O2C_STAT_UNTRACKED_FREES];
  s.audition_own = raw[O2C_STAT_AUDITION_OWN];
  s.audition_kernel = raw[O2C_STAT_AUDITION_KERNEL];
  s.violations = raw[O2C_STAT_VIOLATIONS];
  s.kills = raw[O2C_STAT_KILLS];
  s.map_full = raw[O2C_STAT_MAP_FULL] + raw[O2C_STAT_UID_QUOTA];
  s.uid_quota = raw[O2C_STAT_UID_QUOTA];
  s.events = raw[O2C_STAT_EVENTS];
  s.events_lost = raw[O2C_STAT_EVENTS_LOST];
  s.verdict_events_lost = raw[O2C_STAT_VERDICT_EVENTS_LOST];
  s.object_events_lost = raw[O2C_STAT_OBJECT_EVENTS_LOST];
  s.not_signalled = raw[O2C_STAT_NOT_SIGNALLED];
  s.downgraded = raw[O2C_STAT_DOWNGRADED];
  s.late_auditions = raw[O2C_STAT_LATE_AUDITIONS];
  s.ignored_pointers = raw[O2C_STAT_IGNORED_POINTERS];
  s.heap_incomplete = programs->heap_incomplete();
  s.final_confirmed = programs->final_confirmed();
  s.census_untracked = census_untracked;
  O2C_ASSIGN_OR_RETURN(bpf::MissedRuns missed, programs->Missed());
  s.missed_allocations = missed.allocations;
  s.missed_frees = missed.frees;
  s.missed_runs = missed.allocations + missed.frees;
  if (gate) {
    O2C_ASSIGN_OR_RETURN(s.quarantine_denials, gate->Denials());
  }
  return s;
}

Event::Phase Enforcer::State::PhaseLocked() const {
  if (!programs) return Event::PHASE_UNSPECIFIED;
  return programs->phase() == O2C_PHASE_FINAL ? Event::FINAL : Event::TRANSITION;
}

Event Enforcer::State::SetPhaseLocked(Event::Phase phase, const std::string& reason) {
  programs->SetPhase(phase == Event::FINAL ? O2C_PHASE_FINAL : O2C_PHASE_TRANSITION);
  Event e;
  e.set_kind(Event::PHASE);
  e.set_phase(phase);
  e.set_reason(reason);
  e.set_final_confirmed(programs->final_confirmed());
  return e;
}

bool Enforcer::State::CensusSaysNoneLeftLocked(bool force) {
  if (!census) return false;
  if (!force && Clock::now() - last_census < std::chrono::seconds(1)) {
    return census_untracked == 0;
  }
  last_census = Clock::now();
  absl::StatusOr<bpf::CensusCounts> counts = census->Run();
  census_untracked = counts.ok() ? static_cast<int64_t>(counts->untracked) : -1;
  return census_untracked == 0;
}

Event Enforcer::State::EnterFinalLocked(const std::string& reason) {
  std::string why = reason;
  if (options.confirm_final_without_census) {
    programs->SetFinalConfirmed(true);
    absl::StrAppend(&why, "; confirmed by the operator without a census");
  } else if (CensusSaysNoneLeftLocked(/*force=*/true)) {
    programs->SetFinalConfirmed(true);
    absl::StrAppend(&why, "; confirmed: the census found no object from before the attach");
  } else {
    absl::StrAppend(&why, census ? absl::StrCat("; not confirmed: the census found ",
                                                census_untracked,
                                                " file references to objects from before the "
                                                "attach, whose frees are auditioned late")
                                 : "; not confirmed: no census here, untracked frees are "
                                   "auditioned late");
  }
  return SetPhaseLocked(Event::FINAL, why);
}

void Enforcer::State::ReportLossesLocked(const EnforcerStats& stats, std::vector<Event>& out) {
  auto report = [&](uint64_t lost, uint64_t& reported, Event::Channel channel) {
    if (lost <= reported) return;
    Event& e = out.emplace_back();
    e.set_kind(Event::EVENTS_LOST);
    e.set_lost(lost - reported);
    e.set_channel(channel);
    reported = lost;
  };
  report(stats.verdict_events_lost, verdict_events_lost_reported, Event::CHANNEL_VERDICTS);
  report(stats.object_events_lost, object_events_lost_reported, Event::CHANNEL_OBJECTS);
  // A missed allocation run may have been the compartment's: from now on its
  // heap may miss an object, and no verdict that depends on it may kill.
  if (stats.missed_allocations > missed_allocations_seen) {
    missed_allocations_seen = stats.missed_allocations;
    if (!programs->heap_incomplete()) {
      programs->SetHeapIncomplete(true);
      Event& e = out.emplace_back();
      e.set_kind(Event::HEAP_INCOMPLETE);
      e.set_reason(absl::StrCat(stats.missed_allocations,
                                " allocation-hook runs missed: a compartment allocation may be "
                                "untracked; verdicts are downgraded to AUDIT from now on"));
    }
  }
  if (stats.missed_runs > missed_runs_reported) {
    Event& e = out.emplace_back();
    e.set_kind(Event::MISSED_RUNS);
    e.set_lost(stats.missed_runs - missed_runs_reported);
    e.set_missed_allocations(stats.missed_allocations);
    missed_runs_reported = stats.missed_runs;
  }
}

void Enforcer::State::ApplyFinalPhaseConditionLocked(const EnforcerStats& stats,
                                                     std::vector<Event>& out) {
  (void)stats;
  if (PhaseLocked() == Event::FINAL) {
    // An unconfirmed final phase is confirmed as soon as a census allows.
    if (!programs->final_confirmed() && CensusSaysNoneLeftLocked(/*force=*/false)) {
      programs->SetFinalConfirmed(true);
      out.push_back(SetPhaseLocked(Event::FINAL,
                                   "confirmed: the census found no object from before the "
                                   "attach alive"));
    }
    return;
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - attached_at).count();
  if (final_phase == policy::TIME_LIMIT && time_limit_seconds > 0 &&
      elapsed >= time_limit_seconds) {
    out.push_back(EnterFinalLocked(absl::StrCat("time limit of ", time_limit_seconds, " s")));
  } else if (final_phase == policy::NO_UNTRACKED_LEFT && CensusSaysNoneLeftLocked(false)) {
    out.push_back(EnterFinalLocked("no object of the compartment from before the attach is "
                                   "alive (census)"));
  }
}

Enforcer::Enforcer(std::unique_ptr<State> state, EnforcementMechanisms mechanisms)
    : state_(std::move(state)), mechanisms_(std::move(mechanisms)) {}

Enforcer::~Enforcer() { Detach(); }

absl::StatusOr<std::unique_ptr<Enforcer>> Enforcer::Attach(const Compartment& compartment,
                                                           const Policy& policy,
                                                           const AuditionModel* model,
                                                           const bpf::Kallsyms& kallsyms,
                                                           Options options) {
  // Validate the inputs before anything loads.
  std::optional<bpf::KernelCapabilities> probed;
  if (options.capabilities == nullptr) probed = bpf::KernelCapabilities::Probe();
  const bpf::KernelCapabilities& capabilities =
      options.capabilities ? *options.capabilities : *probed;
  options.capabilities = nullptr;  // not kept: it need not outlive Attach
  if (model != nullptr) O2C_RETURN_IF_ERROR(CheckModel(*model));
  // The policy's transition.threshold decides the leaves' verdicts when set.
  std::optional<AuditionModel> thresholded;
  if (model != nullptr && policy.own_threshold_set()) {
    O2C_ASSIGN_OR_RETURN(thresholded, model->WithOwnThreshold(policy.own_threshold()));
    model = &*thresholded;
  }
  O2C_ASSIGN_OR_RETURN(bpf::KmemHookFlavor flavor, bpf::ChooseKmemHookFlavor(capabilities));
  O2C_ASSIGN_OR_RETURN(bpf::AddressRange kernel_text, kallsyms.KernelText());

  const CompartmentRanges ranges = RangesOf(compartment);
  const bpf::EnforcerConfig config = BuildConfig(ranges, policy, options, flavor, kernel_text);

  auto state = std::make_unique<State>();
  state->kallsyms = kallsyms;
  state->kernel_text = kernel_text;
  state->options = std::move(options);
  state->final_phase = policy.spec().transition().final_phase();
  state->time_limit_seconds = policy.spec().transition().time_limit_seconds();

  // Load (nothing attached yet), then the pieces that need the loaded maps.
  O2C_ASSIGN_OR_RETURN(state->programs, bpf::EnforcerPrograms::Load(config));
  EnforcementMechanisms mechanisms;
  mechanisms.hooks.push_back(DescribePrivateHeap(config, compartment.sites_exact()));
  mechanisms.hooks.push_back(DescribeFreeSites(config, ranges.free_fallback, capabilities));
  O2C_ASSIGN_OR_RETURN(HookMechanism audition, state->LoadAudition(model));
  mechanisms.hooks.push_back(std::move(audition));
  mechanisms.hooks.push_back(DescribeKill(config.actions));
  absl::StatusOr<std::unique_ptr<bpf::CensusPrograms>> census =
      bpf::CensusPrograms::Load(config.code, state->programs->HeapMaps(), config.tgid,
                                config.descendants);
  mechanisms.hooks.push_back(DescribeCensus(census.status()));
  if (census.ok()) state->census = std::move(*census);
  if (config.actions & O2C_ACTION_QUARANTINE) {
    O2C_ASSIGN_OR_RETURN(HookMechanism quarantine,
                         state->AttachQuarantineGate(config.code, capabilities));
    mechanisms.hooks.push_back(std::move(quarantine));
  }
  mechanisms.not_enforced = NotEnforced();
  for (const std::string& rule : policy.UnenforcedRules()) {
    mechanisms.not_enforced.push_back(rule);
  }

  // Attach the entry points and start in the first phase.
  O2C_RETURN_IF_ERROR(state->programs->Attach());
  state->attached_at = Clock::now();
  Event first = model == nullptr ? state->EnterFinalLocked("no audition model")
                                 : state->SetPhaseLocked(Event::TRANSITION, "attached");
  auto enforcer =
      std::unique_ptr<Enforcer>(new Enforcer(std::move(state), std::move(mechanisms)));
  enforcer->state_->Deliver({first});
  return enforcer;
}

int Enforcer::event_fd() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->programs ? state_->programs->EventsEpollFd() : -1;
}

absl::StatusOr<int> Enforcer::Poll(int timeout_ms) {
  if (timeout_ms != 0) {
    // Wait without the lock, so that Detach (or any other call) need not
    // wait for the timeout. If Detach closes the fd meanwhile, poll wakes
    // (POLLNVAL) or waits on a reused number at worst: the state below is
    // checked under the lock either way.
    int fd = event_fd();
    if (fd < 0) return DetachedError();
    pollfd ready = {.fd = fd, .events = POLLIN, .revents = 0};
    if (poll(&ready, 1, timeout_ms) < 0 && errno != EINTR) {
      return absl::ErrnoToStatus(errno, "enforcer: poll on event_fd");
    }
  }
  std::vector<Event> pending;
  int n = 0;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (!state_->programs) return DetachedError();
    O2C_ASSIGN_OR_RETURN(n, state_->programs->PollEvents(0, [&](const o2c_event& raw) {
      pending.push_back(state_->Convert(raw));
    }));
    O2C_ASSIGN_OR_RETURN(EnforcerStats stats, state_->StatsLocked());
    state_->ReportLossesLocked(stats, pending);
    state_->ApplyFinalPhaseConditionLocked(stats, pending);
  }
  state_->Deliver(pending);
  return n;
}

void Enforcer::EnterFinalPhase(const std::string& reason) {
  Event e;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->PhaseLocked() != Event::TRANSITION) return;
    e = state_->EnterFinalLocked(reason);
  }
  state_->Deliver({e});
}

Event::Phase Enforcer::phase() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->PhaseLocked();
}

bool Enforcer::quarantined() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->programs && state_->programs->quarantined();
}

absl::StatusOr<EnforcerStats> Enforcer::Stats() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->StatsLocked();
}

std::vector<uint32_t> Enforcer::ProgramIds() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  std::vector<uint32_t> ids =
      state_->programs ? state_->programs->ProgramIds() : std::vector<uint32_t>{};
  if (state_->gate) {
    for (uint32_t id : state_->gate->ProgramIds()) ids.push_back(id);
  }
  return ids;
}

void Enforcer::Detach() {
  if (!state_) return;
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->gate.reset();
  state_->programs.reset();
}

}  // namespace o2c
