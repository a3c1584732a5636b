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
//   (bpf/quarantine_gate.h).
//
// What it cannot do, said plainly: a tracepoint sees a free before it
// happens but cannot skip it, so a violating free is detected and its task
// killed, never prevented; without BPF LSM quarantine denies nothing
// (Mechanisms() says which applies here). Tracepoints are used even where
// fentry and kprobes work (bpf/kmem_hooks.h says why).
//
// Attach is all or nothing: on failure nothing stays loaded or attached.
// Destruction (or Detach) removes everything. Call Poll regularly: it
// delivers events and moves to the final phase when the policy says so.
#ifndef O2C_ENFORCER_H_
#define O2C_ENFORCER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "o2c/audition_model.h"
#include "o2c/bpf/kernel/kallsyms.h"
#include "o2c/bpf/kernel/capabilities.h"
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
  uint64_t map_full = 0;           // allocations left untracked: map full
  uint64_t events = 0;             // ring-buffer records written
  uint64_t events_lost = 0;        // ... lost: ring buffer full
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
  uint64_t live_tracked() const { return tracked - freed_own - freed_by_kernel; }
};

class Enforcer {
 public:
  struct Options {
    // Receives every event (from Poll, on the caller's thread).
    std::function<void(const Event&)> on_event;
    // Enforce only for this process (tests, demos); 0: the whole system.
    uint32_t scope_tgid = 0;
    // Live objects the compartment allocated before attach, if known (for
    // the NO_UNTRACKED_LEFT final-phase condition; each audition retires
    // one). 0: unknown, then that condition never fires on its own.
    uint64_t untracked_estimate = 0;
    // TRACKED / FREED events (high volume) on or off.
    bool object_events = true;
    // The kernel's features; probed if null.
    const bpf::KernelCapabilities* features = nullptr;
  };

  // Attaches. `model` may be null only if the policy's final phase starts
  // at once (no transition). Errors name what is wrong: a model whose
  // feature schema differs from the extractor's, a kernel without the hooks.
  static absl::StatusOr<std::unique_ptr<Enforcer>> Attach(const Compartment& compartment,
                                                          const Policy& policy,
                                                          const AuditionModel* model,
                                                          const bpf::Kallsyms& kallsyms,
                                                          Options options);
  ~Enforcer();
  Enforcer(const Enforcer&) = delete;
  Enforcer& operator=(const Enforcer&) = delete;

  // Delivers pending events (waiting up to timeout_ms for the first) and
  // applies the final-phase condition. Returns the events delivered.
  absl::StatusOr<int> Poll(int timeout_ms);
  // Moves to the final phase now (atomically for the programs).
  void EnterFinalPhase(const std::string& reason = "requested");
  Event::Phase phase() const;
  // Whether a violation has quarantined the compartment.
  bool quarantined() const;

  absl::StatusOr<EnforcerStats> Stats() const;
  // How each hook is implemented here and what cannot be enforced, one line each.
  const std::vector<std::string>& Mechanisms() const { return mechanisms_; }
  // Kernel ids of the loaded programs (to verify nothing is left behind).
  std::vector<uint32_t> ProgramIds() const;
  // Removes every program. Idempotent; the destructor calls it.
  void Detach();

  // An event as one JSON line (no trailing newline).
  static std::string ToJsonLine(const Event& event);

 private:
  struct State;
  explicit Enforcer(std::unique_ptr<State> state);

  std::unique_ptr<State> state_;
  std::vector<std::string> mechanisms_;
};

}  // namespace o2c

#endif  // O2C_ENFORCER_H_
