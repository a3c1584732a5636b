#include "o2c/enforcer.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_join.h"
#include "o2c/bpf/census_programs.h"
#include "o2c/bpf/codegen/tree_program.h"
#include "o2c/bpf/enforcer_programs.h"
#include "o2c/bpf/extractor_schema.h"
#include "o2c/bpf/loader/compartment_claim.h"
#include "o2c/bpf/kmem_hook_set.h"
#include "o2c/bpf/site_probes_programs.h"
#include "o2c/internal/access_checks.h"
#include "o2c/bpf/loader/kmem_hooks.h"
#include "o2c/bpf/quarantine_gate_programs.h"
#include "o2c/internal/compartment_ranges.h"
#include "o2c/internal/site_calls.h"
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

// The private heap's size: what the compartment holds at attach with room
// to grow, within the policy's max_tracked_objects.
struct HeapSize {
  uint32_t objects = 0;
  std::string why;
  uint64_t compartment_files = 0;  // the census's count at attach (0 where none ran)
};

// A store violation's target, in the event's terms.
void SetStoreTarget(const o2c_event& raw, Event& e) {
  std::string cache(raw.target_cache, strnlen(raw.target_cache, sizeof(raw.target_cache)));
  e.set_target_address(raw.target_address);
  e.set_target_bytes(raw.target_bytes);
  e.set_target_cache(cache);
  if (raw.target == O2C_TARGET_KERNEL_HEAP) {
    e.set_target(absl::StrCat(cache, " object 0x", absl::Hex(raw.object), " +0x",
                              absl::Hex(raw.target_address - raw.object),
                              ", not the compartment's (untracked)"));
  } else {
    e.set_target("kernel data (in no slab, not the compartment's data or the task's stack)");
  }
}

constexpr uint64_t kHeapHeadroom = 4;
// Below this the maps cost too little to save (about 3 MiB).
constexpr uint64_t kMinHeapObjects = 16384;

// Counts the compartment's live objects in scope with a census that shares
// no heap (so all of them count), and sizes the heap from that.
HeapSize ChooseHeapSize(const CompartmentRanges& ranges, const Policy& policy,
                        const Enforcer::Options& options) {
  const uint32_t ceiling = policy.spec().limits().max_tracked_objects();
  absl::StatusOr<std::unique_ptr<bpf::CensusPrograms>> census = bpf::CensusPrograms::Load(
      ranges.code, bpf::HeapMapFds{}, options.scope_tgid, options.scope_descendants);
  absl::StatusOr<bpf::CensusCounts> counts =
      census.ok() ? (*census)->Run() : absl::StatusOr<bpf::CensusCounts>(census.status());
  if (!counts.ok()) {
    return {ceiling, absl::StrCat("the policy's max_tracked_objects (the compartment's live "
                                  "objects cannot be counted here: ",
                                  counts.status().message(), ")")};
  }
  const uint64_t want = std::max(kMinHeapObjects, kHeapHeadroom * counts->untracked);
  HeapSize size{static_cast<uint32_t>(std::min<uint64_t>(want, ceiling)), "",
                counts->compartment_files};
  size.why = absl::StrCat(counts->untracked, " file references to live compartment objects at "
                          "attach (census), ", kHeapHeadroom, "x headroom, at least ",
                          kMinHeapObjects, ", at most the policy's max_tracked_objects ", ceiling);
  if (want > ceiling) {
    absl::StrAppend(&size.why, " (below the headroom wanted: the heap may fill, and verdicts "
                               "are then downgraded)");
  }
  return size;
}

// The kernel-side configuration: the compartment's ranges, the policy's
// actions and limits, the heap's size, the caller's scope.
bpf::EnforcerConfig BuildConfig(const CompartmentRanges& ranges, const Policy& policy,
                                const Enforcer::Options& options, bpf::KmemHookFlavor flavor,
                                bpf::AddressRange kernel_text, uint32_t heap_objects) {
  bpf::EnforcerConfig config;
  config.flavor = flavor;
  config.kernel_text = kernel_text;
  config.tgid = options.scope_tgid;
  config.descendants = options.scope_descendants;
  config.object_events = options.object_events;
  config.code = ranges.code;
  config.alloc_sites = ranges.alloc_sites;
  config.free_sites = ranges.free_sites;
  config.alloc_wrappers = ranges.alloc_wrappers;
  config.actions = O2C_ACTION_AUDIT;
  for (policy::Action a : policy.actions()) {
    if (a == policy::KILL) config.actions |= O2C_ACTION_KILL;
    if (a == policy::QUARANTINE) config.actions |= O2C_ACTION_QUARANTINE;
  }
  const auto& limits = policy.spec().limits();
  config.max_tracked = heap_objects;
  config.max_tracked_per_uid = limits.has_max_tracked_objects_per_uid()
                                   ? limits.max_tracked_objects_per_uid()
                                   : std::max<uint32_t>(1, heap_objects / 2);
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

// The kmem tracepoints the compartment's sites need (kmem_hook_set.h), or
// all four when the caller asks for the tracking of every compartment alike.
bpf::KmemHookSet KmemHooksOf(const Compartment& compartment, Enforcer::Tracking tracking) {
  if (tracking == Enforcer::Tracking::kAllTracepoints) {
    return bpf::AllKmemHooks("every kmem hook, whatever the compartment calls (as asked)");
  }
  std::vector<std::string> allocators, frees;
  for (const CallSite& site : compartment.alloc_sites()) allocators.push_back(site.callee);
  for (const CallSite& site : compartment.free_sites()) frees.push_back(site.callee);
  return bpf::KmemHooksFor(allocators, frees, compartment.sites_exact());
}

// "kfree, kmem_cache_free": those of `of` that `hooks` needs.
std::string NeededOf(const bpf::KmemHookSet& hooks, std::initializer_list<bpf::KmemHook> of) {
  std::vector<const char*> names;
  for (bpf::KmemHook hook : of) {
    if (hooks.Needs(hook)) names.push_back(bpf::KmemHookName(hook));
  }
  return names.empty() ? "none" : absl::StrJoin(names, ", ");
}

// One row per kmem tracepoint: attached or not, and why.
std::vector<HookMechanism> DescribeKmemHooks(const bpf::EnforcerConfig& config) {
  std::vector<HookMechanism> rows;
  for (int i = 0; i < bpf::kKmemHookCount; ++i) {
    const auto hook = static_cast<bpf::KmemHook>(i);
    const bpf::KmemHookNeed& need = config.hooks[hook];
    rows.push_back({.duty = absl::StrCat("kmem hook ", bpf::KmemHookName(hook)),
                    .hooks = need.needed ? bpf::KmemHookName(hook) : "",
                    .kind = need.needed ? KindOf(config.flavor) : HookMechanism::Kind::kNone,
                    .exact = true,
                    .can_deny = false,
                    .notes = absl::StrCat(need.needed ? "attached: " : "not attached: ",
                                          need.why)});
  }
  return rows;
}

// How the sites of `kind` were found: direct calls, and calls of the
// compartment functions that tail-jump to an allocator or free function.
std::string DescribeSites(const Compartment& compartment, CallSite::Kind kind) {
  if (!compartment.sites_exact()) {
    return "approximate: the code could not be read, any call inside compartment code counts";
  }
  const auto& sites =
      kind == CallSite::Kind::kAlloc ? compartment.alloc_sites() : compartment.free_sites();
  size_t via = 0;
  for (const CallSite& s : sites) via += !s.via.empty();
  std::vector<std::string> tail_functions;
  for (const TailJump& t : compartment.tail_jumps()) {
    if (t.kind == kind) tail_functions.push_back(t.function);
  }
  std::string out = absl::StrCat("exact: ", sites.size() - via, " direct call sites");
  if (!tail_functions.empty()) {
    absl::StrAppend(&out, " and ", via, " calls of ", absl::StrJoin(tail_functions, ", "),
                    ", which tail-jump", tail_functions.size() == 1 ? "s" : "",
                    " (the kernel reports the caller's return address; found by scanning "
                    "the kernel's text, calls through pointers are not seen)");
  }
  return out;
}

// The wrappers the compartment calls, and those whose objects the heap
// cannot attribute to it (allocations reported inside the wrapper).
struct WrapperSummary {
  std::string text;
  std::vector<std::string> untracked_allocations;
};

WrapperSummary SummarizeWrappers(const Compartment& compartment, CallSite::Kind kind) {
  WrapperSummary summary;
  std::vector<std::string> parts;
  for (const WrapperPath& w : compartment.wrapper_paths()) {
    if (w.kind != kind) continue;
    parts.push_back(absl::StrCat(w.name, " ", w.calls, " calls"));
    if (w.calls == 0) continue;
    absl::StrAppend(&parts.back(), " (", DescribeReported(w.reported), ")");
    if (kind == CallSite::Kind::kAlloc && w.reported != WrapperPath::Reported::kCaller &&
        w.reported != WrapperPath::Reported::kStack) {
      summary.untracked_allocations.push_back(w.name);
    }
  }
  if (!parts.empty()) summary.text = absl::StrCat("; wrappers: ", absl::StrJoin(parts, ", "));
  if (!summary.untracked_allocations.empty()) {
    absl::StrAppend(&summary.text, "; allocations through ",
                    absl::StrJoin(summary.untracked_allocations, ", "),
                    " are not tracked here, so the heap is incomplete from the start and "
                    "every verdict is downgraded to AUDIT");
  }
  return summary;
}

HookMechanism DescribePrivateHeap(const bpf::EnforcerConfig& config,
                                  const Compartment& compartment, const HeapSize& size) {
  const WrapperSummary wrappers = SummarizeWrappers(compartment, CallSite::Kind::kAlloc);
  return {.duty = "private heap",
          .hooks = NeededOf(config.hooks, {bpf::KmemHook::kKmalloc, bpf::KmemHook::kKmemCacheAlloc}),
          .kind = KindOf(config.flavor),
          .exact = compartment.sites_exact() && wrappers.untracked_allocations.empty(),
          .can_deny = false,
          .notes = absl::StrCat(DescribeSites(compartment, CallSite::Kind::kAlloc),
                                wrappers.text,
                                "; the tracepoints give the object and its caller together, "
                                "which fentry, fexit and kprobes at an allocator do not; "
                                "sized for ", size.objects, " objects: ", size.why,
                                config.max_tracked_per_uid == 0
                                    ? std::string("; no per-uid limit")
                                    : absl::StrCat("; at most ", config.max_tracked_per_uid,
                                                   " per uid"))};
}

HookMechanism DescribeFreeSites(const bpf::EnforcerConfig& config, const Compartment& compartment,
                                const bpf::KernelCapabilities& capabilities) {
  const bool faster_hooks_work = capabilities.Has(bpf::Capability::kKprobe) ||
                                 capabilities.Has(bpf::Capability::kFentry);
  return {.duty = "free sites",
          .hooks = NeededOf(config.hooks, {bpf::KmemHook::kKfree, bpf::KmemHook::kKmemCacheFree}),
          .kind = KindOf(config.flavor),
          .exact = compartment.sites_exact(),
          .can_deny = false,
          .notes = absl::StrCat(
              DescribeSites(compartment, CallSite::Kind::kFree),
              SummarizeWrappers(compartment, CallSite::Kind::kFree).text,
              " (a free not seen as the compartment's only leaves a stale entry: never a "
              "verdict); ",
              faster_hooks_work
                  ? "kprobes work here: Options::tracking = kSiteProbes probes the "
                    "compartment's own calls instead (opt-in); fentry is not used, it does not "
                    "see the caller; "
                  : "",
              "a free is seen before it happens but cannot be skipped")};
}

// How the compartment's sites are hooked, and why.
struct TrackingChoice {
  bool site_probes = false;
  std::vector<bpf::SiteProbe> probes;
  std::string why;
};

// Site probes when asked for (FailedPrecondition, saying why, where kprobes
// at function+offset do not work or a site cannot take one); the tracepoints
// otherwise.
absl::StatusOr<TrackingChoice> ChooseTracking(const Compartment& compartment,
                                              const bpf::Kallsyms& kallsyms,
                                              const bpf::KernelCapabilities& capabilities,
                                              Enforcer::Tracking tracking) {
  if (tracking == Enforcer::Tracking::kTracepoints ||
      tracking == Enforcer::Tracking::kAllTracepoints) {
    return TrackingChoice{.why = "tracepoints, as asked"};
  }
  const bool kprobes = capabilities.Has(bpf::Capability::kKprobeOffset);
  if (tracking == Enforcer::Tracking::kAuto) {
    // Site probes are not yet shown to see every free of the private heap
    // on every kernel: until they are, only a caller's request enables them.
    return TrackingChoice{
        .why = kprobes ? "tracepoints: site probes work here but are used only on request "
                         "(Options::tracking), until they are shown to see every free on "
                         "every kernel"
                       : absl::StrCat("tracepoints: no site probes (kprobes at function+offset "
                                      "do not work here: ",
                                      capabilities.Get(bpf::Capability::kKprobeOffset).detail,
                                      ")")};
  }
  auto refuse = [](const std::string& why) -> absl::StatusOr<TrackingChoice> {
    return absl::FailedPreconditionError(absl::StrCat("site probes: ", why));
  };
  if (!kprobes) {
    return refuse(absl::StrCat("kprobes at function+offset do not work here: ",
                               capabilities.Get(bpf::Capability::kKprobeOffset).detail));
  }
  if (!compartment.sites_exact()) return refuse("the compartment's code was not decoded");
  absl::StatusOr<std::vector<bpf::SiteProbe>> probes =
      bpf::PlanSiteProbes(SiteCallsOf(compartment), kallsyms);
  if (!probes.ok()) return refuse(std::string(probes.status().message()));
  TrackingChoice choice{.site_probes = true, .probes = *std::move(probes)};
  if (choice.probes.empty()) return refuse("the compartment has no allocation or free site");
  choice.why = absl::StrCat(
      "kprobes at function+offset work here (",
      capabilities.Get(bpf::Capability::kKprobeOffset).detail,
      "): only the compartment's own calls run a program");
  return choice;
}

// Site-probe mode: the global free tracepoints only release tracked objects
// the rest of the kernel frees; the probes do everything else.
bpf::KmemHookSet FreeHooksForSiteProbes(const Compartment& compartment) {
  std::vector<std::string> allocators;
  for (const CallSite& site : compartment.alloc_sites()) allocators.push_back(site.callee);
  bpf::KmemHookSet set = bpf::KmemHooksFor(allocators, {}, compartment.sites_exact());
  for (bpf::KmemHook hook : {bpf::KmemHook::kKmalloc, bpf::KmemHook::kKmemCacheAlloc}) {
    set[hook] = {.needed = false,
                 .why = "site probes after the compartment's allocation calls instead"};
  }
  return set;
}

// The private heap and free-site rows in site-probe mode.
std::vector<HookMechanism> DescribeSiteProbes(const bpf::EnforcerConfig& config,
                                              const std::string& why) {
  int allocs = 0, frees = 0;
  for (const bpf::SiteProbe& p : config.site_probes) {
    (p.kind == bpf::SiteProbeKind::kAlloc ? allocs : frees)++;
  }
  return {
      {.duty = "private heap",
       .hooks = absl::StrCat(allocs, " site probes"),
       .kind = HookMechanism::Kind::kKprobe,
       .exact = true,
       .can_deny = false,
       .notes = absl::StrCat(allocs, " call sites: a kprobe after each call of an allocator reads "
                             "the object in rax, the site is the probe's own; ", why,
                             "; a hit the kernel skips because another kprobe's handler is "
                             "running on that CPU is counted by the kprobe (its nmissed), not "
                             "in missed_runs")},
      {.duty = "free sites",
       .hooks = absl::StrCat(frees, " site probes"),
       .kind = HookMechanism::Kind::kKprobe,
       .exact = true,
       .can_deny = false,
       .notes = absl::StrCat(
           "exact call sites, tail jumps included: a kprobe at each call or jump of a free "
           "reads the object (rdi, or rsi for kmem_cache_free) before it runs; one perf "
           "kprobe per site (kprobe_multi attaches at function entries only); tracked objects "
           "the rest of the kernel frees are released on ",
           NeededOf(config.hooks, {bpf::KmemHook::kKfree, bpf::KmemHook::kKmemCacheFree}),
           "; a free is seen before it happens but cannot be skipped")},
  };
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
std::vector<std::string> NotEnforced(bool access_checks) {
  if (!access_checks) {
    return {"the access matrix's READ and WRITE rules (Options::access_checks checks writes "
            "where kprobes work)",
            "the interface's owned-argument checks"};
  }
  return {"the access matrix's READ rules",
          "writes by the functions the compartment calls (only its own instructions are "
          "checked, and the destinations of the memory-writing helpers it calls)",
          "the interface's owned arguments past the first of each function (the first is "
          "checked at the compartment's calls as a write of the byte it points to)"};
}

// The access-checks row: what was probed, what was left unchecked and why.
HookMechanism DescribeAccessChecks(const internal::AccessCheckPlan& plan, size_t attached,
                                   const std::vector<std::string>& refused) {
  const bpf::StorePlan& stores = plan.stores;
  std::string notes = absl::StrCat(
      "a kprobe at each store static analysis could not clear computes the bytes written from "
      "the registers before the store runs; allowed: user memory, the running task's stack, "
      "the compartment's data, one object of the private heap; denied by the policy: ",
      internal::ForbiddenTargetsName(plan.forbidden).empty()
          ? "nothing"
          : internal::ForbiddenTargetsName(plan.forbidden),
      "; ", attached, " stores probed, ", stores.cleared, " cleared statically (stack frame, "
      "own data)");
  if (!plan.why_none.empty()) absl::StrAppend(&notes, "; no probes: ", plan.why_none);
  if (stores.over_budget > 0) {
    absl::StrAppend(&notes, "; unchecked: ", stores.over_budget,
                    " stores over the budget of probes (Options::max_store_probes)");
  }
  if (stores.unplaceable > 0) {
    absl::StrAppend(&notes, "; unchecked: ", stores.unplaceable,
                    " stores a probe cannot place or compute (a function name that is not unique, an "
                    "address in no general register)");
  }
  if (stores.fixed > 0) {
    absl::StrAppend(&notes, "; unchecked: ", stores.fixed,
                    " stores at fixed addresses outside the compartment's data (RIP-relative, "
                    "absolute, per-CPU: listed by `o2c compartment --stores`, not checked)");
  }
  if (!refused.empty()) {
    absl::StrAppend(&notes, "; unchecked: ", refused.size(), " stores the kernel would not probe (",
                    absl::StrJoin(refused, ", "), ")");
  }
  absl::StrAppend(&notes, "; a violation acts only once the final phase is confirmed and the "
                          "heap complete (an untracked target may be an object from before "
                          "the attach); the store itself still happens");
  return {.duty = "access checks",
          .hooks = absl::StrCat(attached, " store probes"),
          .kind = HookMechanism::Kind::kKprobe,
          .exact = stores.over_budget + stores.unplaceable + stores.fixed + refused.size() == 0,
          .can_deny = false,
          .notes = std::move(notes)};
}

}  // namespace

struct Enforcer::State {
  // Guards everything below except the fields fixed at Attach (options,
  // kallsyms, kernel_text, heap_capacity, final_phase, time_limit_seconds, class_names, model,
  // attached_at).
  mutable std::mutex mu;
  // First, so that it is released last: one enforcer per compartment and scope.
  std::optional<bpf::CompartmentClaim> claim;
  std::unique_ptr<bpf::EnforcerPrograms> programs;
  std::unique_ptr<bpf::QuarantineGate> gate;  // with QUARANTINE and BPF LSM
  std::unique_ptr<bpf::CensusPrograms> census;  // where BPF iterators load
  Clock::time_point last_census;
  int64_t census_untracked = -1;
  // Stores that needed a check and got none (budget, names, kernel refusals).
  uint64_t stores_unchecked = 0;
  // Whether a census has ever found one of the compartment's files. Until it
  // has, "no untracked object" proves nothing: the compartment's objects may
  // hang off no file at all (nf_tables' rules, a module's own tables).
  bool census_sees_compartment = false;
  uint64_t verdict_events_lost_reported = 0;
  uint64_t object_events_lost_reported = 0;
  uint64_t missed_runs_reported = 0;
  uint64_t missed_allocations_seen = 0;

  bpf::Kallsyms kallsyms;
  bpf::AddressRange kernel_text;
  uint32_t heap_capacity = 0;
  Options options;
  policy::FinalPhase final_phase = policy::NO_UNTRACKED_LEFT;
  uint32_t time_limit_seconds = 0;
  std::vector<std::string> class_names;
  std::optional<AuditionModel> model;  // a copy, for the rules of its leaves
  // The model's path to each leaf an event named, worked out on first use
  // (a large tree has too many leaves to describe all of them at attach).
  mutable std::map<int32_t, std::string> leaf_rules;
  Clock::time_point attached_at;

  // Outside `mu`: on_event may call back into the Enforcer.
  void Deliver(const std::vector<Event>& events) const {
    if (!options.on_event) return;
    for (const Event& e : events) options.on_event(e);
  }
  Event Convert(const o2c_event& raw) const;
  // Takes one bounded batch of pending events under `mu`, applies the
  // final-phase condition, and delivers them after releasing it.
  absl::StatusOr<bpf::PolledEvents> PollBatch();
  std::string ClassName(int32_t label) const;
  // The model's path to `leaf_id`, "" when no model or no such leaf. With
  // `mu` held (it fills leaf_rules).
  std::string LeafRule(int32_t leaf_id) const;

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

std::string Enforcer::State::LeafRule(int32_t leaf_id) const {
  if (!model.has_value()) return "";
  auto [it, inserted] = leaf_rules.try_emplace(leaf_id);
  if (inserted) it->second = model->RuleToLeaf(leaf_id);
  return it->second;
}

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
      e.set_leaf_rule(LeafRule(raw.leaf_id));
      e.set_verdict(ClassName(raw.label));
      break;
    case O2C_EVENT_VIOLATION: {
      e.set_kind(Event::VIOLATION);
      e.set_violation(static_cast<Event::Violation>(raw.detail));
      e.set_leaf_id(raw.leaf_id);
      e.set_leaf_rule(LeafRule(raw.leaf_id));
      if (raw.label >= 0) e.set_verdict(ClassName(raw.label));
      if (raw.detail == O2C_VIOLATION_STORE) SetStoreTarget(raw, e);
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
  this->model = *model;
  O2C_ASSIGN_OR_RETURN(bpf::EmittedProgram tree,
                       bpf::CompileAudition({&model->tree(), 1}, bpf::AuditionForm::kTailCall,
                                            {.long_jumps = bpf::KernelHasLongJumps()},
                                            "o2c_audition"));
  for (bpf::FreeHook hook : {bpf::FreeHook::kKfree, bpf::FreeHook::kKmemCacheFree}) {
    if (!programs->HasFreeHook(hook)) continue;
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
  s.store_checks = raw[O2C_STAT_STORE_CHECKS];
  s.store_violations = raw[O2C_STAT_STORE_VIOLATIONS];
  s.store_probes = programs->AttachedStoreProbes();
  s.stores_unchecked = stores_unchecked;
  s.heap_incomplete = programs->heap_incomplete();
  s.heap_capacity = heap_capacity;
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
    return census_untracked == 0 && census_sees_compartment;
  }
  last_census = Clock::now();
  absl::StatusOr<bpf::CensusCounts> counts = census->Run();
  census_untracked = counts.ok() ? static_cast<int64_t>(counts->untracked) : -1;
  if (counts.ok() && counts->compartment_files > 0) census_sees_compartment = true;
  return census_untracked == 0 && census_sees_compartment;
}

Event Enforcer::State::EnterFinalLocked(const std::string& reason) {
  std::string why = reason;
  if (options.confirm_final_without_census) {
    programs->SetFinalConfirmed(true);
    absl::StrAppend(&why, "; confirmed by the operator without a census");
  } else if (CensusSaysNoneLeftLocked(/*force=*/true)) {
    programs->SetFinalConfirmed(true);
    absl::StrAppend(&why, "; confirmed: the census found no object from before the attach");
  } else if (census && !census_sees_compartment) {
    absl::StrAppend(&why, "; not confirmed: the census has found none of the compartment's "
                          "files, so it cannot vouch for objects that hang off none; untracked "
                          "frees are auditioned late");
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
  const HeapSize heap_size = ChooseHeapSize(ranges, policy, options);
  bpf::EnforcerConfig config =
      BuildConfig(ranges, policy, options, flavor, kernel_text, heap_size.objects);
  O2C_ASSIGN_OR_RETURN(TrackingChoice tracking,
                       ChooseTracking(compartment, kallsyms, capabilities, options.tracking));
  config.site_probe_mode = tracking.site_probes;
  config.site_probes = tracking.probes;
  config.hooks = tracking.site_probes ? FreeHooksForSiteProbes(compartment)
                                      : KmemHooksOf(compartment, options.tracking);
  std::optional<internal::AccessCheckPlan> access;
  // Where access checks cannot run, why: free-site enforcement goes on.
  std::string access_unavailable;
  if (options.access_checks) {
    absl::StatusOr<internal::AccessCheckPlan> planned = internal::PlanAccessChecks(
        compartment, policy, kallsyms, capabilities, options.max_store_probes);
    if (absl::IsFailedPrecondition(planned.status())) {
      access_unavailable =
          std::string(absl::StripPrefix(planned.status().message(), "access checks: "));
    } else if (!planned.ok()) {
      return planned.status();
    } else {
      access = std::move(*planned);
    }
  }
  if (access.has_value()) {
    config.store_probes = access->stores.probes;
    config.store_forbidden = access->forbidden;
    config.own_data = access->own_data;
    config.store_slab_layout = access->slab_layout;
    config.thread_size = access->thread_size;
  }

  auto state = std::make_unique<State>();
  O2C_ASSIGN_OR_RETURN(state->claim, bpf::CompartmentClaim::Take(compartment.name(), ranges.code,
                                                                 options.scope_tgid));
  state->kallsyms = kallsyms;
  state->kernel_text = kernel_text;
  state->options = std::move(options);
  state->heap_capacity = config.max_tracked;
  state->final_phase = policy.spec().transition().final_phase();
  state->time_limit_seconds = policy.spec().transition().time_limit_seconds();

  // Load (nothing attached yet), then the pieces that need the loaded maps.
  O2C_ASSIGN_OR_RETURN(state->programs, bpf::EnforcerPrograms::Load(config));
  EnforcementMechanisms mechanisms;
  if (config.site_probe_mode) {
    for (HookMechanism& row : DescribeSiteProbes(config, tracking.why)) {
      mechanisms.hooks.push_back(std::move(row));
    }
  } else {
    mechanisms.hooks.push_back(DescribePrivateHeap(config, compartment, heap_size));
    mechanisms.hooks.push_back(DescribeFreeSites(config, compartment, capabilities));
    mechanisms.hooks.back().notes += absl::StrCat("; ", tracking.why);
  }
  for (HookMechanism& row : DescribeKmemHooks(config)) mechanisms.hooks.push_back(std::move(row));
  // Objects the heap cannot see being made would look foreign when freed.
  if (!SummarizeWrappers(compartment, CallSite::Kind::kAlloc).untracked_allocations.empty()) {
    state->programs->SetHeapIncomplete(true);
  }
  O2C_ASSIGN_OR_RETURN(HookMechanism audition, state->LoadAudition(model));
  mechanisms.hooks.push_back(std::move(audition));
  mechanisms.hooks.push_back(DescribeKill(config.actions));
  absl::StatusOr<std::unique_ptr<bpf::CensusPrograms>> census =
      bpf::CensusPrograms::Load(config.code, state->programs->HeapMaps(), config.tgid,
                                config.descendants);
  mechanisms.hooks.push_back(DescribeCensus(census.status()));
  if (census.ok()) state->census = std::move(*census);
  state->census_sees_compartment = heap_size.compartment_files > 0;
  if (config.actions & O2C_ACTION_QUARANTINE) {
    O2C_ASSIGN_OR_RETURN(HookMechanism quarantine,
                         state->AttachQuarantineGate(config.code, capabilities));
    mechanisms.hooks.push_back(std::move(quarantine));
  }
  if (!access_unavailable.empty()) {
    mechanisms.hooks.push_back({.duty = "access checks",
                                .hooks = "none",
                                .kind = HookMechanism::Kind::kNone,
                                .exact = false,
                                .can_deny = false,
                                .notes = absl::StrCat("not run (asked for): ", access_unavailable,
                                                      "; the WRITE rules are not enforced")});
  }
  mechanisms.not_enforced = NotEnforced(access.has_value());
  // The policy's own list says its WRITE rules are not enforced: true only
  // without access checks.
  if (!access.has_value()) {
    for (const std::string& rule : policy.UnenforcedRules()) {
      mechanisms.not_enforced.push_back(rule);
    }
  }

  // Attach the entry points and start in the first phase.
  O2C_RETURN_IF_ERROR(state->programs->Attach());
  if (access.has_value()) {
    const std::vector<std::string>& refused = state->programs->RefusedStoreProbes();
    mechanisms.hooks.push_back(
        DescribeAccessChecks(*access, state->programs->AttachedStoreProbes(), refused));
    state->stores_unchecked =
        access->stores.over_budget + access->stores.unplaceable + access->stores.fixed +
        refused.size();
  }
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
  O2C_ASSIGN_OR_RETURN(bpf::PolledEvents polled, state_->PollBatch());
  return polled.delivered;
}

absl::StatusOr<int> Enforcer::Consume() {
  size_t capacity = 0;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (!state_->programs) return DetachedError();
    capacity = state_->programs->RingRecordCapacity();
  }
  int delivered = 0;
  for (;;) {
    O2C_ASSIGN_OR_RETURN(bpf::PolledEvents polled, state_->PollBatch());
    delivered += polled.delivered;
    if (!polled.more || static_cast<size_t>(delivered) >= capacity) return delivered;
  }
}

absl::StatusOr<bpf::PolledEvents> Enforcer::State::PollBatch() {
  std::vector<Event> pending;
  bpf::PolledEvents polled;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (!programs) return DetachedError();
    O2C_ASSIGN_OR_RETURN(polled, programs->PollEvents(0, [&](const o2c_event& raw) {
      pending.push_back(Convert(raw));
    }));
    O2C_ASSIGN_OR_RETURN(EnforcerStats stats, StatsLocked());
    ReportLossesLocked(stats, pending);
    ApplyFinalPhaseConditionLocked(stats, pending);
  }
  Deliver(pending);
  return polled;
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
  state_->claim.reset();
}

}  // namespace o2c
