// Kernel tier: o2c::Enforcer on the pipe compartment (testdata/policies/
// pipe.policy), scoped to a process of the test's so that counts are exact.
#include "o2c/enforcer.h"

#include <bpf/bpf.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "o2c/bpf/extractor_schema.h"
#include "o2c/bpf/features.h"
#include "o2c/bpf/codegen/random_trees.h"
#include "o2c/testonly/fixture_model.h"
#include "o2c/testonly/settled_stats.h"
#include "testing/kernel_test.h"
#include "testing/pipes.h"
#include "testing/status_matchers.h"

namespace o2c {
namespace {

using ::o2c::testing::CloseAll;
using ::o2c::testing::IsOk;
using ::o2c::testing::KernelPrograms;
using ::o2c::testing::OpenPipes;
using ::o2c::testing::Pipe;
using ::o2c::testing::StatusIs;
using ::testing::HasSubstr;


// Forks a child that, `iterations` times, closes the oldest pipe of a
// window of `window` and opens a new one, passing a byte through it; before
// iteration `wait_at` it waits for a byte on `go_fd`. It exits 0, or 2-4 if
// a call failed. Returns its pid once the child is waiting (so that what it
// did before `wait_at` is over before the caller attaches), or -1.
pid_t ForkPipeChurner(int window, int iterations, int wait_at, int go_fd) {
  int ready[2];
  if (pipe(ready) != 0) return -1;
  pid_t child = fork();
  if (child != 0) {
    close(ready[1]);
    char c;
    // The byte, then end of file: the child has closed its end, so this
    // pipe is freed here, before any attach, and never counts as untracked.
    bool waiting = child > 0 && read(ready[0], &c, 1) == 1 && read(ready[0], &c, 1) == 0;
    close(ready[0]);
    return waiting ? child : -1;
  }
  close(ready[0]);
  std::vector<Pipe> pipes(window);
  for (int i = 0; i < iterations; ++i) {
    char c = 'r';
    if (i == wait_at) {
      if (write(ready[1], &c, 1) != 1 || close(ready[1]) != 0 || read(go_fd, &c, 1) != 1) _exit(3);
    }
    Pipe& p = pipes[i % pipes.size()];
    p.Close();
    if (pipe2(p.fds, 0) != 0) _exit(2);
    char byte = 'x';
    if (write(p.fds[1], &byte, 1) != 1 || read(p.fds[0], &byte, 1) != 1) _exit(4);
  }
  for (Pipe& p : pipes) p.Close();
  _exit(0);
}

// Polls `enforcer` until `child` exits; returns its wait status, or the
// first error of Poll (then the child is killed and reaped).
absl::StatusOr<int> WaitPolling(Enforcer& enforcer, pid_t child) {
  int wstatus = 0;
  while (waitpid(child, &wstatus, WNOHANG) == 0) {
    if (absl::StatusOr<int> n = enforcer.Poll(50); !n.ok()) {
      kill(child, SIGKILL);
      waitpid(child, nullptr, 0);
      return n.status();
    }
  }
  return wstatus;
}

// Forks a child that opens a pipe, waits for a byte on `go_fd`, then closes
// the pipe (freeing its objects) and exits 0. Returns the child's pid once
// its pipe is open, or -1.
pid_t ForkPipeCloser(int go_fd) {
  int ready[2];
  if (pipe(ready) != 0) return -1;
  pid_t child = fork();
  if (child == 0) {
    Pipe pipe;
    char c = 'r';
    if (pipe2(pipe.fds, 0) != 0 || write(ready[1], &c, 1) != 1 || read(go_fd, &c, 1) != 1) {
      _exit(2);
    }
    pipe.Close();
    _exit(0);
  }
  char c;
  bool ok = child > 0 && read(ready[0], &c, 1) == 1;
  close(ready[0]);
  close(ready[1]);
  return ok ? child : -1;
}

// The entry of `mechanisms` for `duty` ("free sites", ...), or null.
const HookMechanism* FindDuty(const EnforcementMechanisms& mechanisms, const std::string& duty) {
  for (const HookMechanism& m : mechanisms.hooks) {
    if (m.duty == duty) return &m;
  }
  return nullptr;
}

class EnforcerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    O2C_REQUIRE_KERNEL();
    static const bpf::KernelCapabilities* features =
        new bpf::KernelCapabilities(bpf::KernelCapabilities::Probe());
    features_ = features;
    auto kallsyms = bpf::Kallsyms::FromFile();
    ASSERT_THAT(kallsyms, IsOk());
    kallsyms_ = std::make_unique<bpf::Kallsyms>(std::move(*kallsyms));
    auto model = FixtureAuditionModel();
    ASSERT_THAT(model, IsOk());
    model_ = std::make_unique<AuditionModel>(std::move(*model));
  }

  // A policy file and its compartment resolved on this kernel.
  absl::StatusOr<std::pair<Policy, Compartment>> Load(const std::string& path) {
    auto policy = Policy::FromFile(path);
    if (!policy.ok()) return policy.status();
    auto compartment = Compartment::Resolve(*policy, *kallsyms_);
    if (!compartment.ok()) return compartment.status();
    return std::make_pair(std::move(*policy), std::move(*compartment));
  }

  // Like Load, with the policy's KILL action replaced by QUARANTINE.
  absl::StatusOr<std::pair<Policy, Compartment>> LoadQuarantining(const std::string& path) {
    auto policy = Policy::FromFile(path);
    if (!policy.ok()) return policy.status();
    std::string text = policy->ToText();
    size_t at = text.find("KILL");
    if (at == std::string::npos) return absl::NotFoundError(path + ": no KILL action");
    text.replace(at, 4, "QUARANTINE");
    policy = Policy::FromText(text, path + " (quarantine)");
    if (!policy.ok()) return policy.status();
    auto compartment = Compartment::Resolve(*policy, *kallsyms_);
    if (!compartment.ok()) return compartment.status();
    return std::make_pair(std::move(*policy), std::move(*compartment));
  }

  // Attaches a policy file's compartment with the fixture model. The policy
  // and compartment are gone once it returns: Attach keeps no reference.
  absl::StatusOr<std::unique_ptr<Enforcer>> AttachScoped(const std::string& path,
                                                         Enforcer::Options options) {
    auto loaded = Load(path);
    if (!loaded.ok()) return loaded.status();
    return Enforcer::Attach(loaded->second, loaded->first, model_.get(), *kallsyms_,
                            std::move(options));
  }

  Enforcer::Options Scoped(pid_t tgid) {
    Enforcer::Options o;
    o.scope_tgid = static_cast<uint32_t>(tgid);
    o.capabilities = features_;
    o.on_event = [this](const Event& e) { events_.push_back(e); };
    return o;
  }

  int Count(Event::Kind kind) const {
    int n = 0;
    for (const Event& e : events_) n += e.kind() == kind;
    return n;
  }

  void Drain(Enforcer& enforcer) {
    for (;;) {
      auto n = enforcer.Poll(0);
      ASSERT_THAT(n, IsOk());
      if (*n == 0) break;
    }
  }

  const bpf::KernelCapabilities* features_ = nullptr;
  std::unique_ptr<bpf::Kallsyms> kallsyms_;
  std::unique_ptr<AuditionModel> model_;
  std::vector<Event> events_;
};

TEST_F(EnforcerTest, OldPipesAreAuditionedNewOnesTracked) {
  auto loaded = Load("testdata/policies/pipe.policy");
  ASSERT_THAT(loaded, IsOk());
  auto& [policy, compartment] = *loaded;
  std::vector<Pipe> old_pipes = OpenPipes(25);
  // The tracepoint mode's rows; enforcer_tracking_test covers site probes.
  Enforcer::Options options = Scoped(getpid());
  options.tracking = Enforcer::Tracking::kTracepoints;
  auto enforcer = Enforcer::Attach(compartment, policy, model_.get(), *kallsyms_, options);
  ASSERT_THAT(enforcer, IsOk());
  const EnforcementMechanisms& mechanisms = (*enforcer)->Mechanisms();
  std::cout << FormatMechanisms(mechanisms);
  // Frees are watched by the tracepoints on every kernel, and where kprobes
  // or fentry work (the 6.1 VM) it says why they are not used.
  const bool tp_btf = features_->Has(bpf::Capability::kTpBtf);
  const char* flavor = tp_btf ? "tp_btf" : "raw_tp";
  const HookMechanism* free_sites = FindDuty(mechanisms, "free sites");
  ASSERT_NE(free_sites, nullptr);
  EXPECT_EQ(free_sites->kind, tp_btf ? HookMechanism::Kind::kTpBtf : HookMechanism::Kind::kRawTp);
  // Only the hooks the compartment's sites need: fs/pipe.c kmallocs and
  // kfrees, so nothing runs on kmem_cache_alloc / kmem_cache_free.
  EXPECT_EQ(free_sites->hooks, "kfree");
  const HookMechanism* cache_free = FindDuty(mechanisms, "kmem hook kmem_cache_free");
  ASSERT_NE(cache_free, nullptr);
  EXPECT_EQ(cache_free->kind, HookMechanism::Kind::kNone);
  EXPECT_THAT(cache_free->notes, HasSubstr("not attached"));
  EXPECT_FALSE(free_sites->can_deny);
  // Exact wherever the code was read, tail-jumping frees included: they are
  // reported at the calls of their function, which are sites of their own.
  EXPECT_EQ(free_sites->exact, compartment.sites_exact());
  EXPECT_THAT(free_sites->notes,
              HasSubstr(free_sites->exact ? "exact: " : "approximate: the code could not be read"));
  for (const TailJump& t : compartment.tail_jumps()) {
    EXPECT_THAT(free_sites->notes, HasSubstr(absl::StrCat("calls of ", t.function)));
  }
  const HookMechanism* heap = FindDuty(mechanisms, "private heap");
  ASSERT_NE(heap, nullptr);
  EXPECT_EQ(heap->exact, compartment.sites_exact());
  EXPECT_THAT(heap->notes,
              HasSubstr(absl::StrCat("exact: ", compartment.alloc_sites().size(), " direct call sites")))
      << "the alloc sites become one range each";
  EXPECT_THAT(free_sites->notes, HasSubstr("cannot be skipped"));
  EXPECT_THAT(FormatMechanisms(mechanisms),
              HasSubstr(absl::StrCat("free sites: ", flavor, " on kfree")));
  if (features_->Has(bpf::Capability::kKprobe)) {
    EXPECT_THAT(free_sites->notes, HasSubstr("kprobes work here: Options::tracking = kSiteProbes"));
  }
  const HookMechanism* audition = FindDuty(mechanisms, "audition");
  ASSERT_NE(audition, nullptr);
  EXPECT_EQ(audition->kind, HookMechanism::Kind::kTailCall);
  const HookMechanism* kill = FindDuty(mechanisms, "kill");
  ASSERT_NE(kill, nullptr);
  EXPECT_EQ(kill->kind, HookMechanism::Kind::kSendSignal);
  // The general limits first, then each rule of this policy that is not
  // enforced, named where it was written.
  ASSERT_GE(mechanisms.not_enforced.size(), 2u);
  EXPECT_THAT(mechanisms.not_enforced[0], HasSubstr("READ and WRITE"));
  EXPECT_THAT(mechanisms.not_enforced[1], HasSubstr("owned-argument"));
  EXPECT_THAT(mechanisms.not_enforced,
              ::testing::Contains(HasSubstr("pipe.policy:")));
  std::vector<Pipe> new_pipes = OpenPipes(15);
  CloseAll(new_pipes);
  CloseAll(old_pipes);
  Drain(**enforcer);
  auto stats = (*enforcer)->Stats();
  ASSERT_THAT(stats, IsOk());
  EXPECT_EQ(stats->tracked, 30u);
  EXPECT_EQ(stats->freed_own, 30u);
  EXPECT_EQ(stats->live_tracked(), 0u);
  EXPECT_EQ(stats->untracked_frees, 50u);
  EXPECT_EQ(stats->audition_own, 50u) << "the fixture model calls pipe objects own";
  EXPECT_EQ(stats->violations, 0u);
  EXPECT_EQ(Count(Event::AUDITION), 50);
  EXPECT_EQ(Count(Event::TRACKED), 30);
  // TRANSITION at attach; FINAL only once the census finds every pipe from
  // before the attach gone (here never, where the test runner's own output
  // is such a pipe).
  std::vector<const Event*> phases;
  for (const Event& e : events_) {
    if (e.kind() == Event::PHASE) phases.push_back(&e);
  }
  ASSERT_GE(phases.size(), 1u);
  ASSERT_LE(phases.size(), 2u);
  EXPECT_EQ(phases[0]->phase(), Event::TRANSITION);
  if (phases.size() == 2) {
    EXPECT_EQ(phases[1]->phase(), Event::FINAL);
    EXPECT_TRUE(phases[1]->final_confirmed());
    EXPECT_THAT(phases[1]->reason(), HasSubstr("census"));
  }
  for (const Event& e : events_) {
    if (e.kind() != Event::AUDITION) continue;
    EXPECT_EQ(e.verdict(), "own");
    EXPECT_EQ(e.leaf_id(), 1);
    EXPECT_THAT(e.site(), ::testing::AnyOf(HasSubstr("pipe"), HasSubstr("free")));
    EXPECT_EQ(e.site(), kallsyms_->Format(e.site_address()));
    EXPECT_NE(e.object(), 0u);
    EXPECT_THAT(Enforcer::ToJsonLine(e), HasSubstr("\"kind\":\"AUDITION\""));
    EXPECT_THAT(Enforcer::ToJsonLine(e),
                HasSubstr(absl::StrCat("\"object\":\"0x", absl::Hex(e.object()), "\"")));
  }
}

TEST_F(EnforcerTest, BenignWorkloadWithAttachOnTheFlyHasNoViolations) {
  auto loaded = Load("testdata/policies/pipe.policy");
  ASSERT_THAT(loaded, IsOk());
  auto& [policy, compartment] = *loaded;
  // A child churns pipes (keeping a window of 64 open) before and after the
  // attach: 100,000 pipe operations in all, 20,000 of them done before.
  int go[2];
  ASSERT_EQ(pipe(go), 0);
  pid_t child = ForkPipeChurner(64, 100000, 20000, go[0]);  // waits for the attach
  ASSERT_GT(child, 0);
  Enforcer::Options options = Scoped(child);
  options.object_events = false;
  auto enforcer = Enforcer::Attach(compartment, policy, model_.get(), *kallsyms_, options);
  ASSERT_EQ(write(go[1], "g", 1), 1);
  ASSERT_THAT(enforcer, IsOk());
  absl::StatusOr<int> wstatus = WaitPolling(**enforcer, child);
  ASSERT_THAT(wstatus, IsOk());
  ASSERT_TRUE(WIFEXITED(*wstatus) && WEXITSTATUS(*wstatus) == 0) << *wstatus;
  auto stats = SettledStats(**enforcer);
  ASSERT_THAT(stats, IsOk());
  std::cout << "  tracked " << stats->tracked << ", freed " << stats->freed_own << "+"
            << stats->freed_by_kernel << ", untracked frees " << stats->untracked_frees
            << ", auditioned " << stats->audition_own
            << " own / " << stats->audition_kernel << " kernel, violations "
            << stats->violations << ", missed runs " << stats->missed_runs << "\n";
  EXPECT_EQ(stats->violations, 0u);
  EXPECT_EQ(stats->audition_kernel, 0u);
  EXPECT_GT(stats->tracked, 100000u);
  // Every tracked pipe object was freed; a free run the kernel skipped
  // leaves its object tracked (a stale entry, never a verdict), and is
  // counted. In the emulated guest some thousands of free runs are skipped,
  // and now and then one of them is a pipe's.
  EXPECT_LE(stats->live_tracked(), stats->missed_frees);
  if (stats->missed_frees == 0) {
    EXPECT_EQ(stats->live_tracked(), 0u);
  }
  // Every untracked free at a free site was auditioned: the window open
  // before the attach (64 pipes, 2 objects each, one pipe perhaps between
  // close and reopen) is untracked and auditioned when closed. Kernel-side
  // misses (runs the kernel skipped) are counted, not hidden.
  EXPECT_EQ(stats->audition_own + stats->audition_kernel, stats->untracked_frees);
  EXPECT_GE(stats->audition_own, 126u);
  EXPECT_EQ(stats->map_full + stats->events_lost, 0u);
}

TEST_F(EnforcerTest, ATrackedObjectFreedOutOfScopeLeavesTheHeap) {
  auto loaded = Load("testdata/policies/pipe.policy");
  ASSERT_THAT(loaded, IsOk());
  auto& [policy, compartment] = *loaded;
  int to_child[2], to_parent[2];
  ASSERT_EQ(pipe(to_child), 0);
  ASSERT_EQ(pipe(to_parent), 0);
  pid_t child = fork();
  if (child == 0) {
    // After the attach: a pipe (tracked: the scope's), its read end's number
    // to the parent, then both ends closed and exit.
    Pipe p;
    char c;
    if (read(to_child[0], &c, 1) != 1 || pipe2(p.fds, 0) != 0) _exit(2);
    c = static_cast<char>(p.fds[0]);
    if (write(to_parent[1], &c, 1) != 1 || read(to_child[0], &c, 1) != 1) _exit(3);
    p.Close();
    _exit(0);
  }
  ASSERT_GT(child, 0);
  auto enforcer = Enforcer::Attach(compartment, policy, model_.get(), *kallsyms_, Scoped(child));
  ASSERT_THAT(enforcer, IsOk());
  ASSERT_EQ(write(to_child[1], "g", 1), 1);
  char fd;
  ASSERT_EQ(read(to_parent[0], &fd, 1), 1);
  // The test process, out of scope, opens the child's pipe too, and drops
  // the last reference after the child has exited: the pipe is freed here.
  int held = open(absl::StrCat("/proc/", child, "/fd/", static_cast<int>(fd)).c_str(), O_RDWR);
  ASSERT_GE(held, 0) << strerror(errno);
  ASSERT_EQ(write(to_child[1], "c", 1), 1);
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) << wstatus;
  auto before = (*enforcer)->Stats();
  ASSERT_THAT(before, IsOk());
  EXPECT_EQ(before->live_tracked(), 2u) << "the pipe and its buffers, still open here";
  close(held);
  for (int f : {to_child[0], to_child[1], to_parent[0], to_parent[1]}) close(f);
  Drain(**enforcer);
  auto stats = (*enforcer)->Stats();
  ASSERT_THAT(stats, IsOk());
  EXPECT_EQ(stats->tracked, 2u);
  EXPECT_EQ(stats->freed_own, 2u) << "freed at the compartment's own free sites";
  EXPECT_EQ(stats->live_tracked(), 0u);
  EXPECT_EQ(stats->violations, 0u);
}

TEST_F(EnforcerTest, AccessChecksRunWhereKprobesDoAndAreExplainedWhereNot) {
  auto loaded = Load("testdata/policies/pipe.policy");
  ASSERT_THAT(loaded, IsOk());
  auto& [policy, compartment] = *loaded;
  Enforcer::Options options = Scoped(getpid());
  options.access_checks = true;
  options.max_store_probes = 4;
  auto enforcer = Enforcer::Attach(compartment, policy, model_.get(), *kallsyms_, options);
  ASSERT_THAT(enforcer, IsOk()) << "free-site enforcement goes on without access checks";
  const HookMechanism* access = FindDuty((*enforcer)->Mechanisms(), "access checks");
  ASSERT_NE(access, nullptr);
  std::cout << "access checks: " << access->notes << "\n";
  auto stats = (*enforcer)->Stats();
  ASSERT_THAT(stats, IsOk());
  if (!features_->Has(bpf::Capability::kKprobeOffset)) {
    EXPECT_EQ(access->kind, HookMechanism::Kind::kNone);
    EXPECT_THAT(access->notes, HasSubstr("not run (asked for): kprobes at function+offset"));
    EXPECT_THAT((*enforcer)->Mechanisms().not_enforced,
                ::testing::Contains(HasSubstr("WRITE")));
    EXPECT_EQ(stats->store_probes, 0u);
    return;
  }
  EXPECT_EQ(access->kind, HookMechanism::Kind::kKprobe);
  EXPECT_LE(stats->store_probes, 4u);
  EXPECT_GT(stats->store_probes, 0u);
  EXPECT_GT(stats->stores_unchecked, 0u) << "fs/pipe.c has more stores than 4";
  EXPECT_FALSE(access->exact);
  EXPECT_THAT(access->notes, HasSubstr("over the budget of probes"));
}

TEST_F(EnforcerTest, BenignWorkloadInTheFinalPhaseIsNeverKilled) {
  // pipe.policy kills on violation. A process started after the attach owns
  // only tracked objects, so in the final phase (every untracked free a
  // violation) 50,000 pipe operations must pass without one.
  auto loaded = Load("testdata/policies/pipe.policy");
  ASSERT_THAT(loaded, IsOk());
  auto& [policy, compartment] = *loaded;
  int go[2];
  ASSERT_EQ(pipe(go), 0);
  pid_t child = ForkPipeChurner(16, 50000, 0, go[0]);
  ASSERT_GT(child, 0);
  Enforcer::Options options = Scoped(child);
  options.object_events = false;
  auto enforcer = Enforcer::Attach(compartment, policy, model_.get(), *kallsyms_, options);
  ASSERT_THAT(enforcer, IsOk());
  (*enforcer)->EnterFinalPhase("test");
  ASSERT_EQ(write(go[1], "g", 1), 1);
  absl::StatusOr<int> wstatus = WaitPolling(**enforcer, child);
  ASSERT_THAT(wstatus, IsOk());
  EXPECT_TRUE(WIFEXITED(*wstatus) && WEXITSTATUS(*wstatus) == 0) << *wstatus;
  auto stats = SettledStats(**enforcer);
  ASSERT_THAT(stats, IsOk());
  std::cout << "  tracked " << stats->tracked << ", live " << stats->live_tracked()
            << ", violations " << stats->violations << ", missed runs "
            << stats->missed_allocations << " allocations + " << stats->missed_frees
            << " frees\n";
  EXPECT_EQ(stats->violations, 0u);
  EXPECT_EQ(stats->untracked_frees, 0u);
  EXPECT_EQ(stats->tracked, 100000u);
  // A skipped free run leaves its object tracked (counted; never a verdict).
  EXPECT_LE(stats->live_tracked(), stats->missed_frees);
  if (stats->missed_frees == 0) {
    EXPECT_EQ(stats->live_tracked(), 0u);
  }
}

TEST_F(EnforcerTest, ForeignFreesInTheFinalPhaseKillTheTask) {
  // pipe.policy without the allocation functions: every pipe object its
  // free functions free is foreign to this compartment.
  auto loaded = Load("testdata/policies/pipe_free_only.policy");
  ASSERT_THAT(loaded, IsOk());
  auto& [policy, compartment] = *loaded;
  int go[2];
  ASSERT_EQ(pipe(go), 0);
  pid_t child = ForkPipeCloser(go[0]);
  ASSERT_GT(child, 0);
  // The test knows this compartment owns no pipe object: its own decision
  // to trust the final phase without a census (which would see the child's
  // pipe from before the attach).
  Enforcer::Options options = Scoped(child);
  options.confirm_final_without_census = true;
  // A tracepoint's stack holds the free site's return address (a site
  // probe's stops at the call); enforcer_tracking_test kills with both.
  options.tracking = Enforcer::Tracking::kTracepoints;
  auto enforcer = Enforcer::Attach(compartment, policy, nullptr, *kallsyms_, options);
  ASSERT_THAT(enforcer, IsOk());
  EXPECT_EQ((*enforcer)->phase(), Event::FINAL);
  ASSERT_EQ(write(go[1], "g", 1), 1);
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  EXPECT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL) << wstatus;
  Drain(**enforcer);
  ASSERT_GE(Count(Event::VIOLATION), 1);
  // The first violation kills; frees while the killed task exits (closing
  // its other pipes) are violations too, but an exiting task gets no signal.
  const Event* v = nullptr;
  for (const Event& e : events_) {
    if (e.kind() == Event::VIOLATION && v == nullptr) v = &e;
  }
  EXPECT_EQ(v->violation(), Event::VIOLATION_UNTRACKED_FREE);
  EXPECT_THAT(v->actions(), ::testing::ElementsAre(Event::ACTION_AUDIT, Event::ACTION_KILL));
  ASSERT_FALSE(v->stack().empty());
  // The stack starts at the free function, not inside the BPF machinery.
  EXPECT_THAT(v->stack(), ::testing::Contains(v->site()));
  ASSERT_EQ(v->stack_addresses_size(), v->stack_size());
  EXPECT_THAT(v->stack_addresses(), ::testing::Contains(v->site_address()));
  EXPECT_EQ(v->stack(0), kallsyms_->Format(v->stack_addresses(0)));
  EXPECT_THAT(v->stack(0), ::testing::Not(::testing::StartsWith("bpf_"))) << v->stack(0);
  EXPECT_EQ(v->tgid(), static_cast<uint32_t>(child));
  // The parent, outside the scope, closes pipes unharmed.
  std::vector<Pipe> mine = OpenPipes(3);
  CloseAll(mine);
}

TEST_F(EnforcerTest, QuarantineRefusesTheCompartmentsFilesWhereBpfLsmExists) {
  // pipe_free_only.policy with QUARANTINE instead of KILL.
  auto loaded = LoadQuarantining("testdata/policies/pipe_free_only.policy");
  ASSERT_THAT(loaded, IsOk());
  auto& [policy, compartment] = *loaded;
  Pipe mine;
  ASSERT_EQ(pipe2(mine.fds, 0), 0);
  int go[2];
  ASSERT_EQ(pipe(go), 0);
  pid_t child = ForkPipeCloser(go[0]);
  ASSERT_GT(child, 0);
  // The test knows this compartment owns no pipe object: its own decision
  // to trust the final phase without a census (which would see the child's
  // pipe from before the attach).
  Enforcer::Options options = Scoped(child);
  options.confirm_final_without_census = true;
  auto enforcer = Enforcer::Attach(compartment, policy, nullptr, *kallsyms_, options);
  ASSERT_THAT(enforcer, IsOk());
  std::cout << FormatMechanisms((*enforcer)->Mechanisms());
  const HookMechanism* quarantine = FindDuty((*enforcer)->Mechanisms(), "quarantine");
  ASSERT_NE(quarantine, nullptr);
  EXPECT_FALSE((*enforcer)->quarantined());
  ASSERT_EQ(write(mine.fds[1], "a", 1), 1) << "not quarantined yet";
  ASSERT_EQ(write(go[1], "g", 1), 1);
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) << "no kill in this policy";
  Drain(**enforcer);
  ASSERT_GE(Count(Event::VIOLATION), 1);
  for (const Event& e : events_) {
    if (e.kind() == Event::VIOLATION) {
      EXPECT_THAT(e.actions(),
                  ::testing::ElementsAre(Event::ACTION_AUDIT, Event::ACTION_QUARANTINE));
    }
  }
  EXPECT_TRUE((*enforcer)->quarantined());
  if (features_->Has(bpf::Capability::kLsm)) {
    // Every process is refused the compartment's files now, this one too.
    EXPECT_EQ(quarantine->kind, HookMechanism::Kind::kLsm);
    EXPECT_TRUE(quarantine->can_deny);
    EXPECT_THAT(quarantine->notes, HasSubstr("after a violation"));
    errno = 0;
    EXPECT_EQ(write(mine.fds[1], "b", 1), -1);
    EXPECT_EQ(errno, EPERM);
    auto stats = (*enforcer)->Stats();
    ASSERT_THAT(stats, IsOk());
    EXPECT_GE(stats->quarantine_denials, 1u);
  } else {
    EXPECT_EQ(quarantine->kind, HookMechanism::Kind::kNone);
    EXPECT_FALSE(quarantine->can_deny);
    EXPECT_THAT(FormatMechanisms((*enforcer)->Mechanisms()),
                HasSubstr("quarantine: cannot deny here"));
    EXPECT_EQ(write(mine.fds[1], "b", 1), 1) << "nothing is refused without BPF LSM";
  }
  (*enforcer)->Detach();
  EXPECT_EQ(write(mine.fds[1], "c", 1), 1) << "the gate goes with the enforcer";
}

TEST_F(EnforcerTest, FallsBackWhenLsmIsAbsent) {
  // The fallback of a kernel without BPF LSM (this host), checked on every
  // kernel: quarantine says it cannot deny, and the enforcer still works.
  auto loaded = LoadQuarantining("testdata/policies/pipe.policy");
  ASSERT_THAT(loaded, IsOk());
  auto& [policy, compartment] = *loaded;
  bpf::KernelCapabilities fewer =
      features_->Without({bpf::Capability::kLsm}, "disabled by the test");
  Enforcer::Options options = Scoped(getpid());
  options.capabilities = &fewer;
  auto enforcer = Enforcer::Attach(compartment, policy, model_.get(), *kallsyms_, options);
  ASSERT_THAT(enforcer, IsOk());
  const HookMechanism* quarantine = FindDuty((*enforcer)->Mechanisms(), "quarantine");
  ASSERT_NE(quarantine, nullptr);
  EXPECT_EQ(quarantine->kind, HookMechanism::Kind::kNone);
  EXPECT_FALSE(quarantine->can_deny);
  EXPECT_THAT(quarantine->notes, HasSubstr("no BPF LSM: disabled by the test"));
  EXPECT_THAT(FormatMechanisms((*enforcer)->Mechanisms()),
              HasSubstr("quarantine: cannot deny here"));
  // And it still tracks: 10 new pipes are 20 tracked objects, all freed.
  std::vector<Pipe> pipes = OpenPipes(10);
  CloseAll(pipes);
  Drain(**enforcer);
  auto stats = (*enforcer)->Stats();
  ASSERT_THAT(stats, IsOk());
  EXPECT_EQ(stats->tracked, 20u);
  EXPECT_EQ(stats->freed_own, 20u);
}

TEST_F(EnforcerTest, TinyLimitsReportFullMapAndLostEvents) {
  auto enforcer = AttachScoped("testdata/policies/pipe_tiny_limits.policy", Scoped(getpid()));
  ASSERT_THAT(enforcer, IsOk());
  std::vector<Pipe> pipes = OpenPipes(100);
  CloseAll(pipes);
  Drain(**enforcer);
  auto stats = (*enforcer)->Stats();
  ASSERT_THAT(stats, IsOk());
  EXPECT_EQ(stats->tracked, 8u);
  EXPECT_EQ(stats->map_full, 192u);
  EXPECT_GT(stats->events_lost, 0u);
  EXPECT_GE(Count(Event::EVENTS_LOST), 1);
  uint64_t reported = 0;
  for (const Event& e : events_) reported += e.kind() == Event::EVENTS_LOST ? e.lost() : 0;
  EXPECT_EQ(reported, stats->events_lost);
}

TEST_F(EnforcerTest, TheHeapIsSizedFromTheCompartmentsLiveObjects) {
  // Few live pipes: the floor. Many: four times what the census counts.
  {
    auto enforcer = AttachScoped("testdata/policies/pipe.policy", Scoped(getpid()));
    ASSERT_THAT(enforcer, IsOk());
    auto stats = (*enforcer)->Stats();
    ASSERT_THAT(stats, IsOk());
    EXPECT_EQ(stats->heap_capacity, 16384u);
    const HookMechanism* heap = FindDuty((*enforcer)->Mechanisms(), "private heap");
    ASSERT_NE(heap, nullptr);
    EXPECT_THAT(heap->notes, HasSubstr("sized for 16384 objects"));
    EXPECT_THAT(heap->notes, HasSubstr("at most the policy's max_tracked_objects 65536"));
    EXPECT_THAT(heap->notes, HasSubstr("at most 8192 per uid"));
  }
  constexpr int kPipes = 2500;  // 5000 file references, 20000 objects of room
  rlimit files;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &files), 0);
  rlimit more = {2 * kPipes + 1000, std::max<rlim_t>(files.rlim_max, 2 * kPipes + 1000)};
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &more), 0);
  std::vector<Pipe> pipes = OpenPipes(kPipes);
  auto enforcer = AttachScoped("testdata/policies/pipe.policy", Scoped(getpid()));
  ASSERT_THAT(enforcer, IsOk());
  auto stats = (*enforcer)->Stats();
  ASSERT_THAT(stats, IsOk());
  std::cout << FindDuty((*enforcer)->Mechanisms(), "private heap")->notes << "\n";
  // Also the test runner's own pipes, if its output is one.
  EXPECT_GE(stats->heap_capacity, 4u * 2 * kPipes);
  EXPECT_LE(stats->heap_capacity, 4u * (2 * kPipes + 16));
  EXPECT_EQ(stats->heap_capacity % 4, 0u);
  CloseAll(pipes);
  (*enforcer)->Detach();
  setrlimit(RLIMIT_NOFILE, &files);
  // The policy's ceiling holds: pipe_tiny_limits.policy allows 8.
  auto tiny = AttachScoped("testdata/policies/pipe_tiny_limits.policy", Scoped(getpid()));
  ASSERT_THAT(tiny, IsOk());
  auto tiny_stats = (*tiny)->Stats();
  ASSERT_THAT(tiny_stats, IsOk());
  EXPECT_EQ(tiny_stats->heap_capacity, 8u);
}

TEST_F(EnforcerTest, FailedAttachLeavesNothingBehind) {
  auto loaded = Load("testdata/policies/pipe.policy");
  ASSERT_THAT(loaded, IsOk());
  auto& [policy, compartment] = *loaded;
  auto before = KernelPrograms();
  // A model of another schema is refused before anything loads.
  ml::FeatureSchema other = bpf::ExtractorFeatureSchema();
  other.features[3].name = "renamed";
  auto wrong = AuditionModel::Create(model_->tree(), other, {"kernel", "own"});
  ASSERT_THAT(wrong, IsOk());
  EXPECT_THAT(Enforcer::Attach(compartment, policy, &*wrong, *kallsyms_, Scoped(getpid())),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("feature 3 is 'renamed'")));
  // So is a model of another version of the extractor, under the same names.
  ml::FeatureSchema next_version = bpf::ExtractorFeatureSchema();
  next_version.extractor_version = O2C_FEATURES_VERSION + 1;
  auto newer = AuditionModel::Create(model_->tree(), next_version, {"kernel", "own"});
  ASSERT_THAT(newer, IsOk());
  EXPECT_THAT(Enforcer::Attach(compartment, policy, &*newer, *kallsyms_, Scoped(getpid())),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr(absl::StrCat("trained on features of extractor v",
                                              O2C_FEATURES_VERSION + 1))));
  // A tree too large to load fails after the tracking programs loaded.
  std::mt19937_64 rng(7);
  bpf::RandomTreeOptions big{.nodes = 400001, .max_depth = 40,
                             .num_features = O2C_F_COUNT, .num_classes = 2};
  auto huge = AuditionModel::Create(bpf::RandomTree(big, rng), bpf::ExtractorFeatureSchema(),
                                    {"kernel", "own"});
  ASSERT_THAT(huge, IsOk());
  EXPECT_THAT(Enforcer::Attach(compartment, policy, &*huge, *kallsyms_, Scoped(getpid())),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("instructions; the kernel loads at most")));
  // A kernel without the kmem hooks' program types.
  bpf::KernelCapabilities bare =
      features_->Without({bpf::Capability::kTpBtf, bpf::Capability::kRawTp}, "disabled by the test");
  Enforcer::Options on_bare = Scoped(getpid());
  on_bare.capabilities = &bare;
  EXPECT_THAT(Enforcer::Attach(compartment, policy, model_.get(), *kallsyms_, on_bare),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("neither tp_btf nor raw_tp works")));
  // A policy naming a function this kernel does not have fails to resolve,
  // naming it, before anything could load.
  auto typo = Policy::FromText(
      "name: \"typo\" compartment { function: \"alloc_pipe_inf\" }", "typo.policy");
  ASSERT_THAT(typo, IsOk());
  EXPECT_THAT(Compartment::Resolve(*typo, *kallsyms_),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("alloc_pipe_inf")));
  // Programs are freed asynchronously: wait until the kernel's list is back.
  std::set<std::pair<uint32_t, std::string>> left;
  for (int tries = 0; tries < 100; ++tries) {
    left.clear();
    for (const auto& p : KernelPrograms()) {
      if (!before.count(p)) left.insert(p);
    }
    if (left.empty()) break;
    usleep(100 * 1000);
  }
  EXPECT_TRUE(left.empty()) << left.size() << " new programs remain, first '"
                            << left.begin()->second << "'";
}

TEST_F(EnforcerTest, DetachRemovesEveryProgram) {
  auto enforcer = AttachScoped("testdata/policies/pipe.policy", Scoped(getpid()));
  ASSERT_THAT(enforcer, IsOk());
  std::vector<uint32_t> ids = (*enforcer)->ProgramIds();
  // fs/pipe.c kmallocs and kfrees: an allocation hook, a free hook, its
  // verdict continuation and its tree at least.
  EXPECT_GE(ids.size(), 4u);
  (*enforcer)->Detach();
  EXPECT_THAT((*enforcer)->Stats(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                             HasSubstr("detached")));
  std::vector<uint32_t> alive = ::o2c::testing::WaitUntilUnloaded(ids);
  EXPECT_TRUE(alive.empty());
}

TEST_F(EnforcerTest, EventFdDrivesAnEpollLoopOfTheCallers) {
  auto enforcer = AttachScoped("testdata/policies/pipe.policy", Scoped(getpid()));
  ASSERT_THAT(enforcer, IsOk());
  int fd = (*enforcer)->event_fd();
  ASSERT_GE(fd, 0);
  int epoll = epoll_create1(EPOLL_CLOEXEC);
  ASSERT_GE(epoll, 0);
  epoll_event watch = {.events = EPOLLIN, .data = {.fd = fd}};
  ASSERT_EQ(epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &watch), 0);
  epoll_event ready;
  EXPECT_EQ(epoll_wait(epoll, &ready, 1, 0), 0) << "nothing pending yet";
  std::vector<Pipe> pipes = OpenPipes(5);
  CloseAll(pipes);
  int consumed = 0;
  while (epoll_wait(epoll, &ready, 1, 1000) == 1) {
    auto n = (*enforcer)->Consume();
    ASSERT_THAT(n, IsOk());
    consumed += *n;
    if (Count(Event::FREED) == 10) break;
  }
  EXPECT_EQ(Count(Event::TRACKED), 10);
  EXPECT_EQ(Count(Event::FREED), 10);
  EXPECT_EQ(consumed, 20);
  (*enforcer)->Detach();
  EXPECT_EQ((*enforcer)->event_fd(), -1);
  EXPECT_THAT((*enforcer)->Consume(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("detached")));
  close(epoll);
}

TEST_F(EnforcerTest, DetachWhileAnotherThreadPollsEndsThatPoll) {
  auto enforcer = AttachScoped("testdata/policies/pipe.policy", Scoped(getpid()));
  ASSERT_THAT(enforcer, IsOk());
  Enforcer& shared = **enforcer;
  std::atomic<bool> polling{true};
  absl::Status last;
  std::thread poller([&] {
    for (;;) {
      absl::StatusOr<int> n = shared.Poll(50);
      if (!n.ok()) {
        last = n.status();
        break;
      }
    }
    polling = false;
  });
  std::vector<Pipe> pipes = OpenPipes(20);
  CloseAll(pipes);
  shared.Detach();
  poller.join();
  EXPECT_FALSE(polling);
  EXPECT_THAT(last, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("detached")));
  EXPECT_TRUE(shared.ProgramIds().empty());
}

TEST_F(EnforcerTest, OnEventMayCallBackIntoTheEnforcer) {
  Enforcer* self = nullptr;
  uint64_t tracked_seen_in_callback = 0;
  Enforcer::Options options = Scoped(getpid());
  options.on_event = [&](const Event& e) {
    events_.push_back(e);
    if (self == nullptr || e.kind() != Event::TRACKED) return;
    auto stats = self->Stats();
    if (stats.ok()) tracked_seen_in_callback = stats->tracked;
    self->EnterFinalPhase("from on_event");
  };
  auto enforcer = AttachScoped("testdata/policies/pipe.policy", options);
  ASSERT_THAT(enforcer, IsOk());
  self = enforcer->get();
  std::vector<Pipe> pipes = OpenPipes(2);
  CloseAll(pipes);
  Drain(**enforcer);
  EXPECT_EQ(tracked_seen_in_callback, 4u);
  EXPECT_EQ((*enforcer)->phase(), Event::FINAL);
  EXPECT_EQ(Count(Event::PHASE), 2) << "TRANSITION at attach, FINAL from the callback";
  std::vector<std::string> reasons;
  for (const Event& e : events_) {
    if (e.kind() == Event::PHASE) reasons.push_back(e.reason());
  }
  // The test's pipes from before the attach are alive: the census says so.
  EXPECT_THAT(reasons, ::testing::ElementsAre(
                           "attached", ::testing::AllOf(::testing::StartsWith("from on_event"),
                                                        HasSubstr("not confirmed: the census"))));
}

}  // namespace
}  // namespace o2c
