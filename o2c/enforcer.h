// o2c::Enforcer: attaches a resolved Compartment, under its Policy and with
// an AuditionModel, to the running kernel — no reboot — and enforces it.
//
// What it does on the kernel (o2c/bpf/enforcer.bpf.c):
// - tracks the compartment's private heap: objects allocated at its
//   allocation sites (kmalloc / kmem_cache_alloc tracepoints);
// - at its free sites, an object it never tracked (allocated before attach)
//   is auditioned in the transition phase by the model, compiled to BPF and
//   entered by tail call; in the final phase it is a violation;
// - a violation is recorded with its kernel stack and, by policy, answered
//   with SIGKILL to the task (delivered before it returns to user space) and
//   quarantine: from then on, where the kernel has BPF LSM, reads, writes,
//   ioctls and opens of the compartment's files are refused with EPERM
//   (o2c/bpf/quarantine_gate_programs.h).
//
// What it cannot do, said plainly: a tracepoint sees a free before it
// happens but cannot skip it, so a violating free is detected and its task
// killed, never prevented; without BPF LSM quarantine denies nothing
// (Mechanisms() says which applies here).
//
// How it hooks (Options::tracking): only the kmem tracepoints the
// compartment's sites need (o2c/bpf/kmem_hook_set.h); or, on request where
// kprobes at function+offset work, kprobes at the compartment's own
// allocation and free calls, so that nothing outside it pays
// (o2c/bpf/site_probes_programs.h),
// with the free tracepoints releasing its objects that other code frees.
// Never a kprobe or fentry on an allocator or free function itself
// (o2c/bpf/loader/kmem_hooks.h says why).
//
// Attach is all or nothing: on failure nothing stays loaded or attached.
// Destruction (or Detach) removes everything. Enforcement never outlives the
// process: nothing is pinned in bpffs, every program, map and link is held
// by the process's fds only, so a crash or SIGKILL removes it all and no
// enforcement survives its product. One enforcer per compartment and scope
// runs on the machine: a second Attach of the same code, from this process
// or another, for an overlapping scope is refused. Call Poll (or Consume, when
// event_fd() is readable) regularly: it delivers events and moves to the
// final phase when the policy says so.
//
// Kallsyms and KernelCapabilities, in the signatures below, are O2C's own
// plain C++ types (no libbpf): the symbol table and the probe of what BPF
// can do here.
#ifndef O2C_ENFORCER_H_
#define O2C_ENFORCER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "o2c/audition_model.h"
#include "o2c/bpf/kernel/capabilities.h"
#include "o2c/bpf/kernel/kallsyms.h"
#include "o2c/compartment.h"
#include "o2c/event.pb.h"
#include "o2c/policy.h"

namespace o2c {

// The enforcer's counters (all since Attach).
struct EnforcerStats {
  uint64_t tracked = 0;            // compartment allocations tracked
  uint64_t freed_own = 0;          // tracked objects freed by the compartment
  uint64_t freed_by_kernel = 0;    // tracked objects freed by code outside it
  uint64_t untracked_frees = 0;    // frees of never-tracked objects at free sites
  uint64_t audition_own = 0;       // ... that the model called the compartment's own
  uint64_t audition_kernel = 0;    // ... that it called kernel objects
  uint64_t violations = 0;
  uint64_t kills = 0;
  uint64_t map_full = 0;           // allocations left untracked: map full or uid quota
  uint64_t uid_quota = 0;          // ... of which: their uid had its quota of live objects
  uint64_t events = 0;             // ring-buffer records written, both channels
  uint64_t events_lost = 0;        // ... lost: ring buffer full
  uint64_t verdict_events_lost = 0;  // lost on the verdict channel (violations, auditions)
  uint64_t object_events_lost = 0;   // lost on the object channel (TRACKED, FREED)
  uint64_t not_signalled = 0;      // KILL asked for, nobody signalled (interrupt, kthread)
  uint64_t downgraded = 0;         // verdicts downgraded to AUDIT: heap incomplete or unsure
  uint64_t late_auditions = 0;     // final-phase untracked frees auditioned: not confirmed
  uint64_t ignored_pointers = 0;   // frees of ZERO_SIZE_PTR-like values, ignored
  // Some compartment object may be untracked (map full, uid quota, a missed
  // allocation): verdicts that depend on the heap are downgraded for good.
  bool heap_incomplete = false;
  // Most live objects the private heap holds: sized at attach from the
  // compartment's live objects, within the policy's max_tracked_objects
  // (Mechanisms() says why).
  uint64_t heap_capacity = 0;
  // The final phase rests on evidence (see Enforcer::Options).
  bool final_confirmed = false;
  // The last census (-1: none ran): file references to compartment objects
  // from before the attach still alive.
  int64_t census_untracked = -1;
  // kmem events the kernel did not run a program for: a program already
  // running on a CPU blocks its own nested runs there. On a kernel without
  // full preemption only a nested event is missed: one in an interrupt that
  // arrived during a run in process context (RCU callbacks freeing files and
  // dentries, mostly). A missed free can leave a stale tracked object; a
  // missed allocation at a compartment site would make that object look
  // untracked, so that its free would be auditioned, or in the final phase
  // be a violation. A compartment that allocates in process context (pipes)
  // loses none of its allocations unless the kernel runs with preempt=full,
  // where a preempted run blocks the next one.
  uint64_t missed_runs = 0;          // missed_allocations + missed_frees
  uint64_t missed_allocations = 0;   // of kmalloc / kmem_cache_alloc programs
  uint64_t missed_frees = 0;         // of kfree / kmem_cache_free programs
  uint64_t quarantine_denials = 0;   // accesses refused while quarantined
  // Access checks (Options::access_checks): the compartment's stores that
  // static analysis could not clear, each under a kprobe.
  uint64_t store_probes = 0;       // stores checked at run time (kprobes attached)
  // Stores left unchecked: over budget, at fixed addresses, with no address
  // register, or refused by the kernel.
  uint64_t stores_unchecked = 0;
  uint64_t store_checks = 0;       // checks run (probe hits)
  uint64_t store_violations = 0;   // stores the access matrix denies (counted in violations too)
  uint64_t live_tracked() const { return tracked - freed_own - freed_by_kernel; }
};

// How the enforcer implements one of its duties on this kernel.
struct HookMechanism {
  enum class Kind {
    kNone,        // not implemented here (see notes)
    kTpBtf,       // BTF-typed tracepoint program
    kRawTp,       // raw tracepoint program
    kTailCall,    // a program entered by tail call from the hooks above
    kSendSignal,  // bpf_send_signal from the hooks above
    kLsm,         // BPF LSM programs
    kIterator,    // a BPF iterator program, run from user space
    kKprobe,      // kprobes at the compartment's own call sites
  };
  std::string duty;   // "private heap", "free sites", "audition", "kill", "quarantine", "census"
  std::string hooks;  // what it hooks: "kmalloc, kmem_cache_alloc", LSM hook names, ...
  Kind kind = Kind::kNone;
  // Exact: it sees precisely what the policy names (call sites); approximate:
  // it over-approximates (any call inside the compartment's code ranges).
  bool exact = true;
  // Whether it refuses the operation; false: it detects (and reports or
  // responds after the fact).
  bool can_deny = false;
  std::string notes;  // the facts behind the choice, in words
};

// What the enforcer does here, hook by hook, and what it does not enforce.
struct EnforcementMechanisms {
  std::vector<HookMechanism> hooks;
  // Policy rules that are parsed and validated but not enforced.
  std::vector<std::string> not_enforced;
};

// "tp_btf", "raw_tp", "tail call", "bpf_send_signal", "lsm", "iterator",
// "kprobe", "none".
const char* HookMechanismKindName(HookMechanism::Kind kind);
// One line per hook and one per rule not enforced.
std::string FormatMechanisms(const EnforcementMechanisms& mechanisms);

// Threading: Attach may run on any thread. The other calls may come from
// any thread and are serialized internally, with one exception: destruction
// must not race with another call. Poll and Consume deliver events to
// Options::on_event on the thread that calls them, after releasing the
// internal lock, so on_event may call back into the Enforcer (Stats,
// EnterFinalPhase, even Detach). Deliveries are in order as long as one
// thread polls. Detach while another thread is in Poll is safe: that Poll
// returns FailedPrecondition("enforcer: detached") without touching the
// released programs.
class Enforcer {
 public:
  // How the private heap and the free sites are hooked.
  enum class Tracking {
    // The kmem tracepoints the compartment's sites need (Mechanisms() says
    // whether site probes would work here; they are not chosen unasked
    // until they are shown to see every free on every kernel).
    kAuto,
    kTracepoints,     // the kmem tracepoints the compartment's sites need
    kAllTracepoints,  // all four kmem tracepoints, whatever the sites call
    // kprobes at the compartment's own allocation and free call sites, and
    // the free tracepoints for its objects freed elsewhere; Attach fails,
    // saying why, where they cannot be used.
    kSiteProbes,
  };
  struct Options {
    // Receives every event, from Attach (the first PHASE), Poll, Consume and
    // EnterFinalPhase, on the calling thread. Moved into the Enforcer and
    // kept until destruction.
    std::function<void(const Event&)> on_event;
    // Enforce only for this process (tests, demos); 0: the whole system.
    // Only its allocations are tracked and only its untracked frees judged;
    // a tracked object leaves the heap whichever task frees it.
    uint32_t scope_tgid = 0;
    // With scope_tgid: also for every process it starts (a workload's
    // workers), up to 16 generations down.
    bool scope_descendants = false;
    // The final phase counts an untracked free as a violation outright only
    // on evidence: a census (a BPF iterator over every task's open files)
    // found no object of the compartment from before the attach alive. Until
    // then such frees are auditioned (a late audition) or, without a model,
    // reported without any action. Setting this is an operator's decision to
    // trust a final phase entered by time limit, by request or at attach
    // without that evidence: under a KILL policy a benign process that frees
    // an object it allocated before the attach is then killed.
    bool confirm_final_without_census = false;
    // TRACKED / FREED events (high volume) on or off.
    bool object_events = true;
    // What BPF can do on this kernel (o2c/bpf/kernel/capabilities.h, a plain
    // C++ type); probed during Attach if null. Read during Attach only: it
    // need not outlive the call.
    const bpf::KernelCapabilities* capabilities = nullptr;
    // How to hook the kmem events (benchmarks and tests compare the modes).
    Tracking tracking = Tracking::kAuto;
    // Checks the compartment's memory writes at run time against the
    // policy's access matrix: a kprobe at every store that static analysis
    // (Compartment::stores()) could not clear computes the address written
    // from the registers and finds what it belongs to: the current task's
    // stack, the compartment's data, a tracked object of the private heap,
    // or else kernel heap (naming the slab cache) or kernel data. A write
    // the matrix denies is a violation with the policy's actions once the
    // final phase is confirmed and the heap complete, an AUDIT-only
    // violation (downgraded) before that. The store still happens: this
    // detects and stops the task before it returns to user space, it does
    // not block. Needs kprobes at function+offset: where they do not work
    // (or the compartment's code could not be read) Attach goes on without
    // access checks, and Mechanisms() says why in its "access checks" row
    // and keeps the WRITE rules in not_enforced.
    bool access_checks = false;
    // Most stores given a kprobe; beyond it the riskiest come first
    // (helper calls, then writes through registers) and the rest are
    // counted in EnforcerStats::stores_unchecked.
    size_t max_store_probes = 1024;
  };

  // The version of Event's JSON rendering (ToJsonLine's "schema_version").
  static constexpr int kEventSchemaVersion = 2;

  // Attaches. `model` may be null only if the policy's final phase starts
  // at once (no transition). Errors name what is wrong: a model whose
  // feature schema differs from the extractor's, a kernel without the hooks;
  // AlreadyExists, naming the other process, when an enforcer of the same
  // compartment (the same code ranges) is attached, by any process, for an
  // overlapping scope (either is the whole system, or both the same
  // scope_tgid; the claim is a lock under /run/o2c/claims,
  // o2c/bpf/loader/compartment_claim.h).
  //
  // Ownership: nothing is referenced after Attach returns. The compartment's
  // ranges and the policy's actions, limits and transition are copied into
  // the kernel configuration; the model is compiled to BPF (and its class
  // names copied), so it may be destroyed afterwards; `kallsyms` is copied
  // (events are symbolized with it). `options` is moved in.
  static absl::StatusOr<std::unique_ptr<Enforcer>> Attach(const Compartment& compartment,
                                                          const Policy& policy,
                                                          const AuditionModel* model,
                                                          const bpf::Kallsyms& kallsyms,
                                                          Options options);
  // Detaches. Must not run while another thread is inside a call.
  ~Enforcer();
  Enforcer(const Enforcer&) = delete;
  Enforcer& operator=(const Enforcer&) = delete;

  // Delivers pending events (waiting up to timeout_ms for the first; -1:
  // without limit) and applies the final-phase condition. Returns the
  // events delivered. One call delivers a bounded batch, verdicts first (at
  // most 4096 records of each ring), so that a flood of object events never
  // holds the caller or grows its memory without end; call it in a loop.
  // The wait holds no lock. FailedPrecondition once detached.
  absl::StatusOr<int> Poll(int timeout_ms);
  // Delivers what is pending without waiting, batch after batch: for a
  // product's own event loop, once event_fd() is readable, and for a final
  // drain. Ends after at most as many events as the rings hold, even if
  // the kernel refills them meanwhile.
  absl::StatusOr<int> Consume();
  // An fd (epoll) that is readable when events are pending; owned by the
  // Enforcer and closed by Detach; -1 once detached. Add it to the product's
  // epoll or poll set and call Consume when it is readable.
  int event_fd() const;

  // Moves to the final phase now (atomically for the programs) and delivers
  // the PHASE event. The final phase is confirmed only if a census finds no
  // object from before the attach alive now, or the options say so (see
  // Options::confirm_final_without_census); until then untracked frees are
  // auditioned late. No effect once final or detached.
  void EnterFinalPhase(const std::string& reason = "requested");
  // PHASE_UNSPECIFIED once detached.
  Event::Phase phase() const;
  // Whether a violation has quarantined the compartment.
  bool quarantined() const;

  // FailedPrecondition once detached.
  absl::StatusOr<EnforcerStats> Stats() const;
  // How each hook is implemented here and what cannot be enforced. Fixed at
  // Attach; stays valid (and readable) after Detach.
  const EnforcementMechanisms& Mechanisms() const { return mechanisms_; }
  // Kernel ids of the loaded programs (to verify nothing is left behind);
  // empty once detached.
  std::vector<uint32_t> ProgramIds() const;
  // Removes every program and closes event_fd(). Idempotent; the destructor
  // calls it.
  void Detach();

  // An event as one JSON line (no trailing newline): protobuf's JSON with
  // the proto field names, "schema_version" first and addresses (object,
  // site_address, stack_addresses) as "0x..." strings. Never fails: were
  // the rendering to fail, the object has an "error" field saying why.
  static std::string ToJsonLine(const Event& event);
  // `stats` in Prometheus' text exposition format (0.0.4): for each metric a
  // HELP and a TYPE line, then its samples. Every sample is labelled with the
  // compartment's name; a split counter adds one bounded label (hook,
  // verdict or channel), never a pid or an address. docs/events.md lists
  // the metrics. Pure: call it with Stats() from any thread.
  static std::string PrometheusText(const EnforcerStats& stats, const std::string& compartment);

 private:
  struct State;
  Enforcer(std::unique_ptr<State> state, EnforcementMechanisms mechanisms);

  std::unique_ptr<State> state_;
  const EnforcementMechanisms mechanisms_;
};

}  // namespace o2c

#endif  // O2C_ENFORCER_H_
