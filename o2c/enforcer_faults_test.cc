// Kernel tier: the enforcer under bad luck. A product killed while attached,
// many attach/detach cycles under an allocation storm, two enforcers at once
// and the same compartment twice, and Attach failing at each of its steps:
// every time, nothing stays in the kernel and nothing leaks in the process.
// Objects are followed by their kernel ids (testing/bpf_objects.h).
#include <fcntl.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "o2c/enforcer.h"
#include "o2c/testonly/fixture_model.h"
#include "testing/bpf_objects.h"
#include "testing/kernel_test.h"
#include "testing/pipes.h"
#include "testing/status_matchers.h"

namespace o2c {
namespace {

using ::o2c::testing::BpfObjectIds;
using ::o2c::testing::IsOk;
using ::o2c::testing::Pipe;
using ::o2c::testing::StatusIs;
using ::testing::HasSubstr;

// A compartment of its own beside the pipes: fs/eventfd.c, whose context
// (struct eventfd_ctx) do_eventfd allocates and eventfd_ctx_put frees.
constexpr char kEventfdPolicy[] = R"pb(
  name: "eventfd"
  compartment {
    function: "do_eventfd"
    function: "eventfd_release"
    function: "eventfd_ctx_put"
    function: "eventfd_free_ctx?"
    function: "eventfd_read"
    function: "eventfd_write"
    function: "eventfd_poll"
  }
  sites {}
  violation { action: [AUDIT] }
  transition { final_phase: ON_REQUEST }
  limits { max_tracked_objects: 4096 ring_buffer_bytes: 65536 }
)pb";

// Exits the child with `code` once `fd` says so: a byte, or its end closed.
void AwaitByte(int fd) {
  char c;
  while (read(fd, &c, 1) < 0 && errno == EINTR) {
  }
}

// Reaps `child`, killing it first.
void KillAndReap(pid_t child) {
  if (child <= 0) return;
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
}

// Forks a child that churns pipes and eventfds on two threads, one pinned
// to each of the first two CPUs, until killed: the kernel allocates and
// frees the compartment's objects (and others) all the time. At the lowest
// priority, so that the storm takes every idle cycle but attaching (the
// verifier's work) is not starved of CPU in an emulated guest.
pid_t ForkAllocationStorm() {
  pid_t child = fork();
  if (child != 0) return child;
  setpriority(PRIO_PROCESS, 0, 19);  // inherited by the second thread
  auto churn = [](int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof(set), &set);
    for (;;) {
      Pipe p;
      if (pipe2(p.fds, 0) != 0) _exit(2);
      char byte = 'x';
      if (write(p.fds[1], &byte, 1) != 1 || read(p.fds[0], &byte, 1) != 1) _exit(3);
      p.Close();
      int efd = eventfd(0, 0);
      if (efd < 0) _exit(4);
      close(efd);
    }
  };
  std::thread second(churn, 1 % std::max(1u, std::thread::hardware_concurrency()));
  churn(0);
  _exit(0);
}

class EnforcerFaultsTest : public ::testing::Test {
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
    // The pipe compartment, audit only: these tests count, they never kill.
    std::ifstream in("testdata/policies/pipe.policy");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string kill = "action: [AUDIT, KILL]";
    ASSERT_NE(text.find(kill), std::string::npos);
    auto audit = Policy::FromText(absl::StrReplaceAll(text, {{kill, "action: [AUDIT]"}}),
                                  "pipe.policy (audit only)");
    ASSERT_THAT(audit, IsOk());
    pipe_policy_ = std::make_unique<Policy>(std::move(*audit));
    auto compartment = Compartment::Resolve(*pipe_policy_, *kallsyms_);
    ASSERT_THAT(compartment, IsOk());
    pipe_ = std::make_unique<Compartment>(std::move(*compartment));
  }

  Enforcer::Options Scoped(pid_t tgid) const {
    Enforcer::Options o;
    o.scope_tgid = static_cast<uint32_t>(tgid);
    o.capabilities = features_;
    return o;
  }

  // Every program the enforcer has (all four kmem hooks, so two copies of
  // the tree): the most objects to leave behind or to fail between.
  Enforcer::Options ScopedWithEveryHook(pid_t tgid) const {
    Enforcer::Options o = Scoped(tgid);
    o.tracking = Enforcer::Tracking::kAllTracepoints;
    return o;
  }

  absl::StatusOr<std::unique_ptr<Enforcer>> AttachPipe(Enforcer::Options options) {
    return Enforcer::Attach(*pipe_, *pipe_policy_, model_.get(), *kallsyms_, std::move(options));
  }

  const bpf::KernelCapabilities* features_ = nullptr;
  std::unique_ptr<bpf::Kallsyms> kallsyms_;
  std::unique_ptr<AuditionModel> model_;
  std::unique_ptr<Policy> pipe_policy_;
  std::unique_ptr<Compartment> pipe_;
};

// Enforcement never outlives its process: O2C pins nothing, so SIGKILL in
// the middle of the compartment's work takes every program, map and link
// (and the compartment's claim) with it.
TEST_F(EnforcerFaultsTest, SigkilledEmbedderLeavesNoProgramMapOrLink) {
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t product = fork();
  ASSERT_GE(product, 0);
  if (product == 0) {
    close(ready[0]);
    auto enforcer = AttachPipe(ScopedWithEveryHook(getpid()));
    if (!enforcer.ok()) _exit(2);
    if (write(ready[1], "a", 1) != 1) _exit(3);
    for (;;) {  // busy in the compartment when the kill comes
      Pipe p;
      if (pipe2(p.fds, 0) == 0) p.Close();
      (void)(*enforcer)->Poll(0);
    }
  }
  close(ready[1]);
  char c;
  ASSERT_EQ(read(ready[0], &c, 1), 1) << "the product did not attach";
  close(ready[0]);
  usleep(200 * 1000);
  const BpfObjectIds held = ::o2c::testing::HeldByProcess(product);
  std::cout << "the product holds " << held.Summary() << "\n";
  EXPECT_GE(held.programs.size(), 6u);
  EXPECT_GE(held.links.size(), 4u);
  EXPECT_GE(held.maps.size(), 6u);
  ASSERT_EQ(kill(product, SIGKILL), 0);
  int wstatus = 0;
  ASSERT_EQ(waitpid(product, &wstatus, 0), product);
  EXPECT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL);
  BpfObjectIds left = ::o2c::testing::WaitUntilGone(held);
  EXPECT_TRUE(left.empty()) << "left behind:\n" << ::o2c::testing::Describe(left);
  // No claim either: the compartment can be enforced again at once.
  auto again = AttachPipe(Scoped(getpid()));
  EXPECT_THAT(again, IsOk());
}

// Attach/detach cycles while two CPUs allocate and free the compartment's
// objects: no fd, program, map or link survives its cycle, and the resident
// set stops growing. O2C_FAULT_CYCLES sets the count (tools/fault_cycles.sh
// runs 1000).
TEST_F(EnforcerFaultsTest, AttachDetachCyclesUnderAnAllocationStormLeakNothing) {
  // Fewer in the VM tier, whose emulated CPUs verify programs slowly.
  const char* env = std::getenv("O2C_FAULT_CYCLES");
  const int cycles = env ? std::max(3, std::atoi(env)) : std::getenv("O2C_VM") ? 3 : 25;
  const int warmup = std::min(10, cycles / 3);  // libbpf's and the allocator's one-time growth
  pid_t storm = ForkAllocationStorm();
  ASSERT_GT(storm, 0);
  BpfObjectIds created;
  int fds_before = ::o2c::testing::OpenFdCount();
  int64_t rss_after_warmup = 0;
  uint64_t tracked = 0;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < cycles; ++i) {
    if (i == warmup) rss_after_warmup = ::o2c::testing::ResidentBytes();
    auto enforcer = AttachPipe(Scoped(storm));
    ASSERT_THAT(enforcer, IsOk()) << "cycle " << i;
    ASSERT_THAT((*enforcer)->Poll(5), IsOk());
    auto stats = (*enforcer)->Stats();
    ASSERT_THAT(stats, IsOk());
    tracked += stats->tracked;
    created.Add(::o2c::testing::HeldByProcess(getpid()));
    enforcer->reset();
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  KillAndReap(storm);
  const int fds_after = ::o2c::testing::OpenFdCount();
  const int64_t rss_after = ::o2c::testing::ResidentBytes();
  BpfObjectIds left = ::o2c::testing::WaitUntilGone(created);
  std::printf("%d cycles in %.1f s (%.0f ms each): %s created, %s left; fds %d -> %d; "
              "rss after %d cycles %.1f MiB, after %d %.1f MiB; %llu objects tracked\n",
              cycles, seconds, 1000 * seconds / cycles, created.Summary().c_str(),
              left.Summary().c_str(), fds_before, fds_after, warmup,
              rss_after_warmup / 1048576.0, cycles, rss_after / 1048576.0,
              static_cast<unsigned long long>(tracked));
  EXPECT_TRUE(left.empty()) << ::o2c::testing::Describe(left);
  EXPECT_EQ(fds_after, fds_before);
  // Each cycle allocates what a leak would keep (the skeleton, the compiled
  // tree, ring buffers): 4 MiB over the whole run is far less than one
  // cycle's share times the cycles.
  EXPECT_LT(rss_after - rss_after_warmup, int64_t{4} << 20);
  EXPECT_GT(tracked, 0u) << "the storm's pipes were never tracked: nothing was enforced";
}

// Two compartments at once, each enforced by its own Enforcer: each tracks
// its own objects, and auditions its own objects from before the attach.
TEST_F(EnforcerFaultsTest, TwoCompartmentsAtOnceEachTrackAndAudition) {
  auto eventfd_policy = Policy::FromText(kEventfdPolicy, "eventfd.policy");
  ASSERT_THAT(eventfd_policy, IsOk());
  auto eventfds = Compartment::Resolve(*eventfd_policy, *kallsyms_);
  ASSERT_THAT(eventfds, IsOk());
  constexpr int kOld = 8, kNew = 40;
  int go[2], done[2];
  ASSERT_EQ(pipe(go), 0);
  ASSERT_EQ(pipe(done), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Objects from before the attach, then the attach, then new ones.
    std::vector<Pipe> old_pipes(kOld);
    std::vector<int> old_eventfds;
    for (Pipe& p : old_pipes) {
      if (pipe2(p.fds, 0) != 0) _exit(2);
    }
    for (int i = 0; i < kOld; ++i) old_eventfds.push_back(eventfd(0, 0));
    if (write(done[1], "o", 1) != 1) _exit(3);
    AwaitByte(go[0]);
    for (int i = 0; i < kNew; ++i) {
      Pipe p;
      if (pipe2(p.fds, 0) != 0) _exit(4);
      p.Close();
      close(eventfd(0, 0));
    }
    for (Pipe& p : old_pipes) p.Close();
    for (int fd : old_eventfds) close(fd);
    _exit(0);
  }
  char c;
  ASSERT_EQ(read(done[0], &c, 1), 1);
  std::vector<Event> pipe_events, eventfd_events;
  Enforcer::Options for_pipes = Scoped(child);
  for_pipes.on_event = [&](const Event& e) { pipe_events.push_back(e); };
  Enforcer::Options for_eventfds = Scoped(child);
  for_eventfds.on_event = [&](const Event& e) { eventfd_events.push_back(e); };
  auto pipes = AttachPipe(std::move(for_pipes));
  ASSERT_THAT(pipes, IsOk());
  auto contexts = Enforcer::Attach(*eventfds, *eventfd_policy, model_.get(), *kallsyms_,
                                   std::move(for_eventfds));
  ASSERT_THAT(contexts, IsOk());
  ASSERT_EQ(write(go[1], "g", 1), 1);
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) << wstatus;
  for (Enforcer* e : {pipes->get(), contexts->get()}) {
    for (int i = 0; i < 20; ++i) ASSERT_THAT(e->Poll(10), IsOk());
  }
  auto p = (*pipes)->Stats();
  auto q = (*contexts)->Stats();
  ASSERT_THAT(p, IsOk());
  ASSERT_THAT(q, IsOk());
  auto count = [](const std::vector<Event>& events, Event::Kind kind) {
    return std::count_if(events.begin(), events.end(),
                         [&](const Event& e) { return e.kind() == kind; });
  };
  std::printf("pipes: tracked %llu, freed %llu, untracked frees %llu, %ld auditions\n"
              "eventfds: tracked %llu, freed %llu, untracked frees %llu, %ld auditions\n",
              (unsigned long long)p->tracked, (unsigned long long)p->freed_own,
              (unsigned long long)p->untracked_frees, count(pipe_events, Event::AUDITION),
              (unsigned long long)q->tracked, (unsigned long long)q->freed_own,
              (unsigned long long)q->untracked_frees, count(eventfd_events, Event::AUDITION));
  // A pipe is at least its pipe_inode_info and its buffer array.
  EXPECT_GE(p->tracked, 2u * kNew);
  EXPECT_EQ(p->freed_own, p->tracked);
  EXPECT_GE(p->untracked_frees, 2u * kOld);
  // An eventfd is one eventfd_ctx.
  EXPECT_EQ(q->tracked, static_cast<uint64_t>(kNew));
  EXPECT_EQ(q->freed_own, static_cast<uint64_t>(kNew));
  EXPECT_EQ(q->untracked_frees, static_cast<uint64_t>(kOld));
  EXPECT_EQ(count(eventfd_events, Event::AUDITION), kOld);
  EXPECT_GE(count(pipe_events, Event::AUDITION), 2 * kOld);
  EXPECT_EQ(p->violations + q->violations, p->audition_kernel + q->audition_kernel)
      << "a violation other than an audition's";
}

// The same compartment twice for overlapping scopes is refused, naming the
// enforcer that holds it, from this process and from another; disjoint
// scopes and a detached enforcer do not count.
TEST_F(EnforcerFaultsTest, SameCompartmentTwiceIsAClearError) {
  auto first = AttachPipe(Scoped(getpid()));
  ASSERT_THAT(first, IsOk());
  const std::string holder = absl::StrCat("by process ", getpid());
  EXPECT_THAT(AttachPipe(Scoped(getpid())),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr(absl::StrCat("compartment 'pipe' is already enforced, for an "
                                              "overlapping scope, ", holder))));
  EXPECT_THAT(AttachPipe(Scoped(0)),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr(holder)));
  // Another process (another product on the same machine) is told too.
  int report[2];
  ASSERT_EQ(pipe(report), 0);
  pid_t other = fork();
  ASSERT_GE(other, 0);
  if (other == 0) {
    close(report[0]);
    auto second = AttachPipe(Scoped(0));
    std::string said = second.ok() ? "attached" : second.status().ToString();
    if (write(report[1], said.data(), said.size()) < 0) _exit(2);
    _exit(0);
  }
  close(report[1]);
  std::string said;
  char buf[512];
  for (ssize_t n; (n = read(report[0], buf, sizeof(buf))) > 0;) said.append(buf, n);
  close(report[0]);
  waitpid(other, nullptr, 0);
  EXPECT_THAT(said, HasSubstr("ALREADY_EXISTS"));
  EXPECT_THAT(said, HasSubstr(holder));
  std::cout << "another process was told: " << said << "\n";
  // A disjoint scope is another enforcement, and allowed.
  pid_t idle = fork();
  if (idle == 0) {
    pause();
    _exit(0);
  }
  auto disjoint = AttachPipe(Scoped(idle));
  EXPECT_THAT(disjoint, IsOk());
  disjoint = absl::UnknownError("released");
  KillAndReap(idle);
  // Once detached, the compartment is free again.
  (*first)->Detach();
  EXPECT_THAT(AttachPipe(Scoped(0)), IsOk());
}

// Attach failing at each of its steps in turn: the process may open one fd
// more each time, so the kernel refuses a map, a program, the second copy of
// the model's tree after the first went into its prog array, a link after
// others were attached... Every failure leaves no fd and no kernel object.
TEST_F(EnforcerFaultsTest, AttachFailingAtEveryStepLeavesNothing) {
  // The names of everything an attach creates, from one that works.
  std::set<std::string> names;
  {
    auto enforcer = AttachPipe(Scoped(getpid()));
    ASSERT_THAT(enforcer, IsOk());
    names = ::o2c::testing::NamesOf(::o2c::testing::HeldByProcess(getpid()));
  }
  ASSERT_GE(names.size(), 6u);
  const BpfObjectIds before = ::o2c::testing::AllBpfObjectIds();
  rlimit saved;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  const int fds = ::o2c::testing::OpenFdCount();
  int highest = 0;
  for (int fd = 0; fd < 4096; ++fd) {
    if (fcntl(fd, F_GETFD) >= 0) highest = fd;
  }
  std::vector<std::string> failures;
  bool attached = false;
  for (rlim_t limit = highest + 1; !attached && limit < static_cast<rlim_t>(highest) + 400;
       ++limit) {
    rlimit tight = saved;
    tight.rlim_cur = limit;
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &tight), 0);
    absl::StatusOr<std::unique_ptr<Enforcer>> enforcer =
        AttachPipe(ScopedWithEveryHook(getpid()));
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
    attached = enforcer.ok();
    if (!attached) failures.push_back(std::string(enforcer.status().message()));
    enforcer = absl::UnknownError("released");
    ASSERT_EQ(::o2c::testing::OpenFdCount(), fds) << "after: " << failures.back();
  }
  EXPECT_TRUE(attached);
  std::printf("%zu failed attaches before one worked:\n", failures.size());
  for (size_t i = 0; i < failures.size(); ++i) {
    if (i == 0 || failures[i] != failures[i - 1]) std::printf("  %s\n", failures[i].c_str());
  }
  EXPECT_GE(failures.size(), 10u);
  // The tree's first copy failing to load, then the second after the first
  // went into its prog array.
  EXPECT_GE(std::count_if(failures.begin(), failures.end(),
                          [](const std::string& f) {
                            return f.find("prog 'o2c_audition'") != std::string::npos;
                          }),
            2)
      << "no failure between the two copies of the tree";
  BpfObjectIds left = ::o2c::testing::NewObjectsNamed(before, names);
  EXPECT_TRUE(left.empty()) << "left behind:\n" << ::o2c::testing::Describe(left);
}

}  // namespace
}  // namespace o2c
