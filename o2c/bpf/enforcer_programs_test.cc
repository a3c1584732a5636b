// Kernel tier: the enforcer's programs on fs/pipe.c, with real pipes of this
// process (tgid-scoped, so other processes' pipes cannot disturb counts).
#include "o2c/bpf/enforcer_programs.h"

#include <bpf/bpf.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "o2c/bpf/features.h"
#include "o2c/bpf/kernel/capabilities.h"
#include "o2c/testonly/pipe_functions.h"
#include "o2c/bpf/codegen/tree_program.h"
#include "testing/kernel_test.h"
#include "testing/pipes.h"
#include "testing/status_matchers.h"

namespace o2c::bpf {
namespace {

using ::o2c::testing::CloseAll;
using ::o2c::testing::IsOk;
using ::o2c::testing::OpenPipes;
using ::o2c::testing::Pipe;
using ::o2c::testing::StatusIs;
using ::testing::HasSubstr;

// A one-leaf tree that answers `label` for every object.
ml::DecisionTree ConstantTree(int32_t label) {
  ml::DecisionTree tree;
  tree.num_features = O2C_F_COUNT;
  tree.nodes.resize(1);
  tree.nodes[0].label = label;
  tree.nodes[0].leaf_id = 0;
  return tree;
}

class EnforcerProgramsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    O2C_REQUIRE_KERNEL();
    static const KernelCapabilities* features = new KernelCapabilities(KernelCapabilities::Probe());
    auto flavor = ChooseKmemHookFlavor(*features);
    ASSERT_THAT(flavor, IsOk());
    auto kallsyms = Kallsyms::FromFile();
    ASSERT_THAT(kallsyms, IsOk());
    ASSERT_THAT(UsePipeFunctions(*kallsyms, config_), IsOk());
    config_.tgid = static_cast<uint32_t>(getpid());
    config_.flavor = *flavor;
  }

  // Loads with `config_`; with a constant tree of `label` unless label < 0.
  std::unique_ptr<EnforcerPrograms> LoadAndAttach(int32_t label) {
    auto programs = EnforcerPrograms::Load(config_);
    EXPECT_THAT(programs, IsOk());
    if (!programs.ok()) return nullptr;
    if (label >= 0) {
      ml::DecisionTree tree = ConstantTree(label);
      auto emitted = CompileAudition({&tree, 1}, AuditionForm::kTailCall, {}, "test_tree");
      EXPECT_THAT(emitted, IsOk());
      for (FreeHook hook : {FreeHook::kKfree, FreeHook::kKmemCacheFree}) {
        auto fd = LoadAudition(*emitted, AuditionForm::kTailCall,
                               (*programs)->AuditionMapFds(hook),
                               (*programs)->AuditionHook(hook));
        EXPECT_THAT(fd, IsOk());
        if (!fd.ok()) return nullptr;
        EXPECT_THAT((*programs)->InstallTree(hook, std::move(*fd)), IsOk());
      }
    }
    EXPECT_THAT((*programs)->Attach(), IsOk());
    return std::move(*programs);
  }

  EnforcerCounters Stats(EnforcerPrograms& p) {
    auto stats = p.ReadStats();
    EXPECT_THAT(stats, IsOk());
    return stats.ok() ? *stats : EnforcerCounters{};
  }

  std::map<uint32_t, int> DrainEvents(EnforcerPrograms& p, std::vector<o2c_event>* out = nullptr) {
    std::map<uint32_t, int> kinds;
    for (;;) {
      auto n = p.PollEvents(0, [&](const o2c_event& e) {
        kinds[e.kind]++;
        if (out) out->push_back(e);
      });
      EXPECT_THAT(n, IsOk());
      if (!n.ok() || !n->more) break;
    }
    return kinds;
  }

  EnforcerConfig config_;
};

TEST_F(EnforcerProgramsTest, TracksNewPipesAndAuditionsOldOnes) {
  std::vector<Pipe> old_pipes = OpenPipes(20);  // untracked: opened before attach
  auto programs = LoadAndAttach(O2C_LABEL_OWN);
  ASSERT_NE(programs, nullptr);
  std::vector<Pipe> new_pipes = OpenPipes(10);
  CloseAll(new_pipes);
  CloseAll(old_pipes);
  EnforcerCounters s = Stats(*programs);
  // Each pipe is two slab objects, allocated and freed by pipe.c.
  EXPECT_EQ(s[O2C_STAT_TRACKED], 20u);
  EXPECT_EQ(s[O2C_STAT_FREED_OWN], 20u);
  EXPECT_EQ(s[O2C_STAT_FREED_BY_KERNEL], 0u);
  EXPECT_EQ(s[O2C_STAT_UNTRACKED_FREES], 40u);
  EXPECT_EQ(s[O2C_STAT_AUDITION_OWN], 40u);
  EXPECT_EQ(s[O2C_STAT_AUDITION_KERNEL], 0u);
  EXPECT_EQ(s[O2C_STAT_VIOLATIONS], 0u);
  EXPECT_EQ(s[O2C_STAT_EVENTS_LOST], 0u);
  std::vector<o2c_event> events;
  auto kinds = DrainEvents(*programs, &events);
  EXPECT_EQ(kinds[O2C_EVENT_TRACKED], 20);
  EXPECT_EQ(kinds[O2C_EVENT_FREED], 20);
  EXPECT_EQ(kinds[O2C_EVENT_AUDITION], 40);
  for (const o2c_event& e : events) {
    EXPECT_EQ(e.tgid, static_cast<uint32_t>(getpid()));
    if (e.kind == O2C_EVENT_AUDITION) {
      EXPECT_EQ(e.label, O2C_LABEL_OWN);
      EXPECT_EQ(e.leaf_id, 0);
    }
  }
}

TEST_F(EnforcerProgramsTest, AuditionSayingKernelObjectIsAViolation) {
  std::vector<Pipe> old_pipes = OpenPipes(3);
  auto programs = LoadAndAttach(O2C_LABEL_KERNEL);
  ASSERT_NE(programs, nullptr);
  CloseAll(old_pipes);
  EnforcerCounters s = Stats(*programs);
  EXPECT_EQ(s[O2C_STAT_AUDITION_KERNEL], 6u);
  EXPECT_EQ(s[O2C_STAT_VIOLATIONS], 6u);
  std::vector<o2c_event> events;
  DrainEvents(*programs, &events);
  int violations = 0;
  for (const o2c_event& e : events) {
    if (e.kind != O2C_EVENT_VIOLATION) continue;
    ++violations;
    EXPECT_EQ(e.detail, O2C_VIOLATION_AUDITION);
    EXPECT_GT(e.stack_bytes, 0) << "a violation carries its kernel stack";
    EXPECT_EQ(e.actions, uint32_t{O2C_ACTION_AUDIT});
  }
  EXPECT_EQ(violations, 6);
}

TEST_F(EnforcerProgramsTest, FinalPhaseMakesEveryUntrackedFreeAViolation) {
  std::vector<Pipe> old_pipes = OpenPipes(5);
  auto programs = LoadAndAttach(-1);
  ASSERT_NE(programs, nullptr);
  programs->SetPhase(O2C_PHASE_FINAL);
  programs->SetFinalConfirmed(true);
  EXPECT_EQ(programs->phase(), O2C_PHASE_FINAL);
  std::vector<Pipe> new_pipes = OpenPipes(5);
  CloseAll(new_pipes);  // tracked: no violation
  CloseAll(old_pipes);  // untracked at a free site: violations
  EnforcerCounters s = Stats(*programs);
  EXPECT_EQ(s[O2C_STAT_FREED_OWN], 10u);
  EXPECT_EQ(s[O2C_STAT_VIOLATIONS], 10u);
  EXPECT_EQ(s[O2C_STAT_DOWNGRADED], 0u);
  EXPECT_EQ(s[O2C_STAT_AUDITION_OWN] + s[O2C_STAT_AUDITION_KERNEL], 0u);
}

// Without a tree and without a confirmed final phase nothing can tell an old
// object of the compartment from a kernel object: reported, never acted on.
TEST_F(EnforcerProgramsTest, UnconfirmedFinalPhaseWithoutATreeNeverKills) {
  int ready[2], go[2], done[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(go), 0);
  ASSERT_EQ(pipe(done), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    Pipe old;
    if (pipe2(old.fds, 0) != 0) _exit(2);
    char c = 'r';
    if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1) _exit(3);
    old.Close();  // untracked: opened before the attach
    if (write(done[1], &c, 1) != 1) _exit(4);
    _exit(0);
  }
  char c;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  config_.tgid = static_cast<uint32_t>(child);
  config_.actions = O2C_ACTION_AUDIT | O2C_ACTION_KILL | O2C_ACTION_QUARANTINE;
  auto programs = LoadAndAttach(-1);
  ASSERT_NE(programs, nullptr);
  programs->SetPhase(O2C_PHASE_FINAL);
  ASSERT_EQ(write(go[1], "g", 1), 1);
  ASSERT_EQ(read(done[0], &c, 1), 1) << "the child was killed on a guess";
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EnforcerCounters s = Stats(*programs);
  EXPECT_EQ(s[O2C_STAT_VIOLATIONS], 2u);
  EXPECT_EQ(s[O2C_STAT_DOWNGRADED], 2u);
  EXPECT_EQ(s[O2C_STAT_KILLS], 0u);
  EXPECT_FALSE(programs->quarantined());
  std::vector<o2c_event> events;
  DrainEvents(*programs, &events);
  int violations = 0;
  for (const o2c_event& e : events) {
    if (e.kind != O2C_EVENT_VIOLATION) continue;
    ++violations;
    EXPECT_EQ(e.detail, uint32_t{O2C_VIOLATION_UNTRACKED_FREE});
    EXPECT_EQ(e.flags, uint32_t{O2C_EVENT_DOWNGRADED});
    EXPECT_EQ(e.actions, uint32_t{O2C_ACTION_AUDIT});
  }
  EXPECT_EQ(violations, 2);
  for (int fd : {ready[0], ready[1], go[0], go[1], done[0], done[1]}) close(fd);
}

TEST_F(EnforcerProgramsTest, TransitionWithoutATreeReportsNoModel) {
  std::vector<Pipe> old_pipes = OpenPipes(1);
  auto programs = LoadAndAttach(-1);
  ASSERT_NE(programs, nullptr);
  CloseAll(old_pipes);
  std::vector<o2c_event> events;
  DrainEvents(*programs, &events);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0].kind, uint32_t{O2C_EVENT_VIOLATION});
  EXPECT_EQ(events[0].detail, uint32_t{O2C_VIOLATION_NO_MODEL});
}

TEST_F(EnforcerProgramsTest, KillActionKillsTheFreeingChildOnly) {
  int ready[2], go[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(go), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    Pipe victim;
    if (pipe2(victim.fds, 0) != 0) _exit(2);
    char c = 'r';
    if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1) _exit(3);
    victim.Close();  // untracked pipe objects freed at pipe.c's free sites
    _exit(0);        // never reached: SIGKILL arrives before returning to user space
  }
  char c;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  config_.tgid = static_cast<uint32_t>(child);
  config_.actions = O2C_ACTION_AUDIT | O2C_ACTION_KILL | O2C_ACTION_QUARANTINE;
  auto programs = LoadAndAttach(-1);
  ASSERT_NE(programs, nullptr);
  programs->SetPhase(O2C_PHASE_FINAL);
  programs->SetFinalConfirmed(true);
  ASSERT_EQ(write(go[1], "g", 1), 1);
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  EXPECT_TRUE(WIFSIGNALED(wstatus)) << "child exited normally: " << WEXITSTATUS(wstatus);
  EXPECT_EQ(WTERMSIG(wstatus), SIGKILL);
  EnforcerCounters s = Stats(*programs);
  EXPECT_GE(s[O2C_STAT_KILLS], 1u);
  EXPECT_GE(s[O2C_STAT_VIOLATIONS], 1u);
  EXPECT_TRUE(programs->quarantined());
  std::vector<o2c_event> events;
  DrainEvents(*programs, &events);
  ASSERT_FALSE(events.empty());
  const o2c_event& first = events.front();
  EXPECT_EQ(first.kind, uint32_t{O2C_EVENT_VIOLATION});
  EXPECT_EQ(first.context, uint32_t{O2C_CONTEXT_PROCESS})
      << ContextName(o2c_context(first.context));
  EXPECT_EQ(first.actions, uint32_t{O2C_ACTION_AUDIT | O2C_ACTION_KILL | O2C_ACTION_QUARANTINE});
  EXPECT_EQ(first.flags & O2C_EVENT_NOT_SIGNALLED, 0u);
  // The parent closes pipes of its own, unharmed (out of the enforcer's scope).
  std::vector<Pipe> mine = OpenPipes(2);
  CloseAll(mine);
}

TEST_F(EnforcerProgramsTest, FullMapIsCountedAndReported) {
  config_.max_tracked = 4;
  auto programs = LoadAndAttach(O2C_LABEL_OWN);
  ASSERT_NE(programs, nullptr);
  std::vector<Pipe> pipes = OpenPipes(10);
  EnforcerCounters s = Stats(*programs);
  EXPECT_EQ(s[O2C_STAT_TRACKED], 4u);
  EXPECT_EQ(s[O2C_STAT_MAP_FULL], 16u);
  auto kinds = DrainEvents(*programs);
  EXPECT_EQ(kinds[O2C_EVENT_MAP_FULL], 16);
  CloseAll(pipes);
}

// A poll takes at most kMaxRecordsPerPoll records of a channel and says
// more are pending; the next polls take the rest, none twice, none lost.
TEST_F(EnforcerProgramsTest, PollTakesABoundedBatchAndTheRestLater) {
  config_.ringbuf_bytes = 1 << 22;
  auto programs = LoadAndAttach(O2C_LABEL_OWN);
  ASSERT_NE(programs, nullptr);
  constexpr int kPipes = 1500;  // 3000 TRACKED and 3000 FREED events
  for (int i = 0; i < kPipes; i += 100) {
    std::vector<Pipe> batch = OpenPipes(100);
    CloseAll(batch);
  }
  EnforcerCounters s = Stats(*programs);
  ASSERT_EQ(s[O2C_STAT_OBJECT_EVENTS_LOST], 0u);
  ASSERT_GT(s[O2C_STAT_OBJECT_EVENTS], uint64_t{EnforcerPrograms::kMaxRecordsPerPoll});
  int first = 0;
  auto polled = programs->PollEvents(0, [&](const o2c_event&) { ++first; });
  ASSERT_THAT(polled, IsOk());
  EXPECT_EQ(first, EnforcerPrograms::kMaxRecordsPerPoll);
  EXPECT_EQ(polled->delivered, EnforcerPrograms::kMaxRecordsPerPoll);
  EXPECT_TRUE(polled->more);
  auto kinds = DrainEvents(*programs);
  int rest = 0;
  for (auto& [kind, n] : kinds) rest += n;
  EXPECT_EQ(static_cast<uint64_t>(first + rest),
            s[O2C_STAT_OBJECT_EVENTS] + s[O2C_STAT_VERDICT_EVENTS]);
}

TEST_F(EnforcerProgramsTest, RingBufferOverflowIsCounted) {
  config_.ringbuf_bytes = static_cast<uint32_t>(sysconf(_SC_PAGESIZE));
  auto programs = LoadAndAttach(O2C_LABEL_OWN);
  ASSERT_NE(programs, nullptr);
  std::vector<Pipe> pipes = OpenPipes(100);  // 200 TRACKED events, never polled
  CloseAll(pipes);
  EnforcerCounters s = Stats(*programs);
  EXPECT_GT(s[O2C_STAT_EVENTS_LOST], 0u);
  EXPECT_EQ(s[O2C_STAT_EVENTS] + s[O2C_STAT_EVENTS_LOST], 400u);
  auto kinds = DrainEvents(*programs);
  int delivered = 0;
  for (auto& [kind, n] : kinds) delivered += n;
  EXPECT_EQ(static_cast<uint64_t>(delivered), s[O2C_STAT_EVENTS]);
}

TEST_F(EnforcerProgramsTest, ObjectFloodCannotCrowdOutViolations) {
  config_.ringbuf_bytes = static_cast<uint32_t>(sysconf(_SC_PAGESIZE));  // the object ring
  std::vector<Pipe> old_pipes = OpenPipes(3);
  auto programs = LoadAndAttach(O2C_LABEL_KERNEL);
  ASSERT_NE(programs, nullptr);
  std::vector<Pipe> churn = OpenPipes(100);  // 400 object events, never polled
  CloseAll(churn);
  CloseAll(old_pipes);  // 6 auditions saying "kernel object": 6 violations
  EnforcerCounters s = Stats(*programs);
  EXPECT_GT(s[O2C_STAT_OBJECT_EVENTS_LOST], 0u);
  EXPECT_EQ(s[O2C_STAT_OBJECT_EVENTS] + s[O2C_STAT_OBJECT_EVENTS_LOST], 400u);
  EXPECT_EQ(s[O2C_STAT_VERDICT_EVENTS_LOST], 0u);
  EXPECT_EQ(s[O2C_STAT_VERDICT_EVENTS], 12u);
  EXPECT_EQ(s[O2C_STAT_EVENTS_LOST], s[O2C_STAT_OBJECT_EVENTS_LOST]);
  int violations = 0, verdict_records = 0;
  for (;;) {
    auto n = programs->PollChannel(EventChannel::kVerdicts, 0, [&](const o2c_event& e) {
      ++verdict_records;
      if (e.kind == O2C_EVENT_VIOLATION) ++violations;
    });
    ASSERT_THAT(n, IsOk());
    if (!n->more) break;
  }
  EXPECT_EQ(violations, 6);
  EXPECT_EQ(verdict_records, 12);
  auto objects = DrainEvents(*programs);
  EXPECT_EQ(objects[O2C_EVENT_VIOLATION] + objects[O2C_EVENT_AUDITION], 0)
      << "verdicts come on their own ring";
  EXPECT_EQ(static_cast<uint64_t>(objects[O2C_EVENT_TRACKED] + objects[O2C_EVENT_FREED]),
            s[O2C_STAT_OBJECT_EVENTS]);
  EXPECT_GE(programs->RingFd(EventChannel::kVerdicts), 0);
  EXPECT_NE(programs->RingFd(EventChannel::kVerdicts), programs->RingFd(EventChannel::kObjects));
}

// Every violation in `events` is downgraded: recorded, no action but AUDIT.
void ExpectAllDowngraded(const std::vector<o2c_event>& events, int* violations) {
  for (const o2c_event& e : events) {
    if (e.kind == O2C_EVENT_AUDITION) {
      EXPECT_EQ(e.label, O2C_LABEL_KERNEL);
      EXPECT_NE(e.flags & O2C_EVENT_DOWNGRADED, 0u);
    }
    if (e.kind != O2C_EVENT_VIOLATION) continue;
    ++*violations;
    EXPECT_EQ(e.detail, uint32_t{O2C_VIOLATION_AUDITION}) << "auditioned, not blind";
    EXPECT_NE(e.flags & O2C_EVENT_DOWNGRADED, 0u);
    EXPECT_EQ(e.actions, uint32_t{O2C_ACTION_AUDIT});
    EXPECT_EQ(e.label, O2C_LABEL_KERNEL) << "the model's opinion is kept";
  }
}

TEST_F(EnforcerProgramsTest, FullHeapDowngradesFinalVerdicts) {
  config_.max_tracked = 4;
  config_.actions = O2C_ACTION_AUDIT | O2C_ACTION_QUARANTINE;
  std::vector<Pipe> old_pipes = OpenPipes(2);
  auto programs = LoadAndAttach(O2C_LABEL_KERNEL);
  ASSERT_NE(programs, nullptr);
  EXPECT_FALSE(programs->heap_incomplete());
  std::vector<Pipe> pipes = OpenPipes(10);  // 4 tracked, 16 not
  EXPECT_TRUE(programs->heap_incomplete());
  EXPECT_EQ(programs->LiveObjects(), 4);
  programs->SetPhase(O2C_PHASE_FINAL);
  programs->SetFinalConfirmed(true);
  CloseAll(old_pipes);
  CloseAll(pipes);
  EnforcerCounters s = Stats(*programs);
  EXPECT_EQ(s[O2C_STAT_MAP_FULL], 16u);
  EXPECT_EQ(s[O2C_STAT_UNTRACKED_FREES], 20u);
  EXPECT_EQ(s[O2C_STAT_DOWNGRADED], 20u);
  EXPECT_EQ(s[O2C_STAT_AUDITION_KERNEL], 20u);
  EXPECT_EQ(s[O2C_STAT_VIOLATIONS], 20u);
  EXPECT_EQ(s[O2C_STAT_LATE_AUDITIONS], 0u);
  EXPECT_EQ(s[O2C_STAT_VERDICT_EVENTS_LOST], 0u);
  EXPECT_FALSE(programs->quarantined()) << "uncertainty never quarantines";
  std::vector<o2c_event> events;
  auto kinds = DrainEvents(*programs, &events);
  EXPECT_EQ(kinds[O2C_EVENT_MAP_FULL], 16);
  int violations = 0;
  ExpectAllDowngraded(events, &violations);
  EXPECT_EQ(violations, 20);
}

TEST_F(EnforcerProgramsTest, MissedAllocationsMarkedFromUserSpaceDowngrade) {
  config_.actions = O2C_ACTION_AUDIT | O2C_ACTION_QUARANTINE;
  std::vector<Pipe> old_pipes = OpenPipes(2);
  auto programs = LoadAndAttach(O2C_LABEL_KERNEL);
  ASSERT_NE(programs, nullptr);
  programs->SetPhase(O2C_PHASE_FINAL);
  programs->SetFinalConfirmed(true);
  programs->SetHeapIncomplete(true);
  EXPECT_TRUE(programs->heap_incomplete());
  old_pipes[0].Close();
  EnforcerCounters s = Stats(*programs);
  EXPECT_EQ(s[O2C_STAT_DOWNGRADED], 2u);
  EXPECT_EQ(s[O2C_STAT_VIOLATIONS], 2u);
  EXPECT_FALSE(programs->quarantined());
  std::vector<o2c_event> events;
  DrainEvents(*programs, &events);
  int violations = 0;
  ExpectAllDowngraded(events, &violations);
  EXPECT_EQ(violations, 2);
  // Complete again (a census): the final phase's verdicts are whole again.
  programs->SetHeapIncomplete(false);
  old_pipes[1].Close();
  s = Stats(*programs);
  EXPECT_EQ(s[O2C_STAT_DOWNGRADED], 2u);
  EXPECT_EQ(s[O2C_STAT_VIOLATIONS], 4u);
  EXPECT_TRUE(programs->quarantined());
  events.clear();
  DrainEvents(*programs, &events);
  for (const o2c_event& e : events) {
    if (e.kind != O2C_EVENT_VIOLATION) continue;
    EXPECT_EQ(e.detail, uint32_t{O2C_VIOLATION_UNTRACKED_FREE});
    EXPECT_EQ(e.flags, 0u);
    EXPECT_EQ(e.actions, uint32_t{O2C_ACTION_AUDIT | O2C_ACTION_QUARANTINE});
    EXPECT_EQ(e.context, uint32_t{O2C_CONTEXT_PROCESS});
  }
}

TEST_F(EnforcerProgramsTest, UnconfirmedFinalPhaseAuditionsLate) {
  std::vector<Pipe> old_pipes = OpenPipes(3);
  auto programs = LoadAndAttach(O2C_LABEL_OWN);
  ASSERT_NE(programs, nullptr);
  programs->SetPhase(O2C_PHASE_FINAL);
  EXPECT_FALSE(programs->final_confirmed());
  old_pipes[0].Close();
  old_pipes[1].Close();
  EnforcerCounters s = Stats(*programs);
  EXPECT_EQ(s[O2C_STAT_LATE_AUDITIONS], 4u);
  EXPECT_EQ(s[O2C_STAT_AUDITION_OWN], 4u);
  EXPECT_EQ(s[O2C_STAT_VIOLATIONS], 0u);
  EXPECT_EQ(s[O2C_STAT_DOWNGRADED], 0u);
  std::vector<o2c_event> events;
  auto kinds = DrainEvents(*programs, &events);
  EXPECT_EQ(kinds[O2C_EVENT_AUDITION], 4);
  for (const o2c_event& e : events) {
    EXPECT_EQ(e.flags, uint32_t{O2C_EVENT_LATE_AUDITION}) << "kind " << e.kind;
    EXPECT_EQ(e.context, uint32_t{O2C_CONTEXT_PROCESS});
  }
  programs->SetFinalConfirmed(true);
  old_pipes[2].Close();
  s = Stats(*programs);
  EXPECT_EQ(s[O2C_STAT_LATE_AUDITIONS], 4u);
  EXPECT_EQ(s[O2C_STAT_VIOLATIONS], 2u) << "a confirmed final phase is blind again";
}

TEST_F(EnforcerProgramsTest, UidQuotaLeavesTheRestUntrackedAndIncomplete) {
  config_.max_tracked = 64;
  config_.max_tracked_per_uid = 4;
  auto programs = LoadAndAttach(O2C_LABEL_OWN);
  ASSERT_NE(programs, nullptr);
  std::vector<Pipe> pipes = OpenPipes(10);
  EnforcerCounters s = Stats(*programs);
  EXPECT_EQ(s[O2C_STAT_TRACKED], 4u);
  EXPECT_EQ(s[O2C_STAT_UID_QUOTA], 16u);
  EXPECT_EQ(s[O2C_STAT_MAP_FULL], 0u);
  EXPECT_TRUE(programs->heap_incomplete());
  std::vector<o2c_event> events;
  DrainEvents(*programs, &events);
  int refused = 0;
  for (const o2c_event& e : events) {
    if (e.kind != O2C_EVENT_MAP_FULL) continue;
    ++refused;
    EXPECT_EQ(e.detail, uint32_t{O2C_UNTRACKED_UID_QUOTA});
  }
  EXPECT_EQ(refused, 16);
  CloseAll(pipes);
  EXPECT_EQ(programs->LiveObjects(), 0);
  // Freed objects give their uid its quota back.
  std::vector<Pipe> again = OpenPipes(2);
  s = Stats(*programs);
  EXPECT_EQ(s[O2C_STAT_TRACKED], 8u);
  EXPECT_EQ(s[O2C_STAT_UID_QUOTA], 16u);
  CloseAll(again);
}

TEST_F(EnforcerProgramsTest, DestructionUnloadsEveryProgram) {
  std::vector<uint32_t> ids;
  {
    auto programs = LoadAndAttach(O2C_LABEL_OWN);
    ASSERT_NE(programs, nullptr);
    ids = programs->ProgramIds();
    ASSERT_GE(ids.size(), 6u);  // 4 entry points, 2 continuations, 2 trees
    for (uint32_t id : ids) {
      int fd = bpf_prog_get_fd_by_id(id);
      EXPECT_GE(fd, 0) << "prog id " << id;
      close(fd);
    }
  }
  std::vector<uint32_t> alive = ::o2c::testing::WaitUntilUnloaded(ids);
  EXPECT_TRUE(alive.empty()) << alive.size() << " programs still loaded, first id "
                             << alive.front();
}

TEST_F(EnforcerProgramsTest, BadLimitsAreRefused) {
  config_.max_tracked = 0;
  EXPECT_THAT(EnforcerPrograms::Load(config_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_tracked is 0")));
  config_.max_tracked = 16;
  config_.ringbuf_bytes = 5000;
  EXPECT_THAT(EnforcerPrograms::Load(config_),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("ring buffer of 5000 bytes; want a power of 2")));
  config_.ringbuf_bytes = 4096;
  config_.verdict_ringbuf_bytes = 6000;
  EXPECT_THAT(EnforcerPrograms::Load(config_),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("enforcer's verdicts: ring buffer of 6000 bytes")));
}

}  // namespace
}  // namespace o2c::bpf
