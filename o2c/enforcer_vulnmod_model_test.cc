// The model in the exploit's path: inside the guest, `Prepare` profiles
// testdata/vulnmod under its benign workload and trains the module's
// audition tree on this kernel's objects; the enforcer attaches on the fly,
// in the transition phase, with that tree, while the benign workload runs:
// the records it stored before the attach are auditioned "own" as it frees
// them, and it ends cleanly. Then the exploit makes the module kfree() the
// kernel's bitmap: the tree running in the kernel must call that object
// "kernel", and its verdict kill the exploit before its next step. VM tier
// only: this host's kernel refuses modules. (The final phase without a
// model is enforcer_vulnmod_test.cc.)
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "o2c/audition_model.h"
#include "o2c/bpf/kernel/capabilities.h"
#include "o2c/bpf/kernel/kallsyms.h"
#include "o2c/compartment.h"
#include "o2c/enforcer.h"
#include "o2c/policy.h"
#include "o2c/prepare.h"
#include "o2c/victims/measure_victims.h"
#include "testdata/vulnmod/vulnmod_device.h"
#include "testing/kernel_test.h"
#include "testing/pipes.h"
#include "testing/status_matchers.h"

namespace o2c {
namespace {

using ::o2c::testing::IsOk;
using ::o2c::testing::kVulnmodDevice;
using ::o2c::testing::LoadVulnmod;
using ::o2c::testing::Pipe;
using ::o2c::testing::VulnRequest;
using ::testing::Contains;
using ::testing::HasSubstr;

constexpr const char* kWorkload = testing::kVulnmodWorkload;
// The benign workload keeps its records in these slots; the exploit uses
// the last one and the out-of-bounds index after it.
constexpr int kBenignSlots = VULN_SLOTS - 2;
constexpr int kExploitSlot = VULN_SLOTS - 1;

std::string TempDir(const char* name) {
  const char* base = std::getenv("TEST_TMPDIR");
  return std::string(base ? base : "/tmp") + "/" + name;
}

// The compares from the root to the leaf `leaf_id`, in the schema's words.
std::string RuleToLeaf(const AuditionModel& model, int32_t leaf_id) {
  std::string rule = model.RuleToLeaf(leaf_id);
  return rule.empty() ? "no such leaf" : rule;
}

int32_t LeafLabel(const ml::DecisionTree& tree, int32_t leaf_id) {
  for (const ml::TreeNode& n : tree.nodes) {
    if (n.is_leaf() && n.leaf_id == leaf_id) return n.label;
  }
  return -1;
}

// The benign workload, running until SIGTERM; its stdout says when records
// are stored.
struct Benign {
  pid_t pid = -1;
  FILE* out = nullptr;
};

Benign StartBenign() {
  Benign b;
  int p[2];
  if (pipe(p) != 0) return b;
  b.pid = fork();
  if (b.pid == 0) {
    dup2(p[1], STDOUT_FILENO);
    close(p[0]);
    close(p[1]);
    execl(kWorkload, kWorkload, "0", "0", std::to_string(kBenignSlots).c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(p[1]);
  b.out = fdopen(p[0], "r");
  return b;
}

TEST(EnforcerVulnmodModelTest, TheTreeInTheKernelStopsTheExploitInTheTransitionPhase) {
  O2C_REQUIRE_KERNEL();
  ASSERT_EQ(LoadVulnmod(), "");
  auto kallsyms = bpf::Kallsyms::FromFile();
  ASSERT_THAT(kallsyms, IsOk());
  auto policy = Policy::FromFile("testdata/policies/vulnmod.policy");
  ASSERT_THAT(policy, IsOk());
  auto compartment = Compartment::Resolve(*policy, *kallsyms);
  ASSERT_THAT(compartment, IsOk());
  bpf::KernelCapabilities features = bpf::KernelCapabilities::Probe();

  // 1. The preparation phase, on this kernel, under the benign workload.
  PrepareOptions prepare;
  prepare.workload = absl::StrCat(kWorkload, " 4000 0 ", kBenignSlots);
  prepare.out_dir = TempDir("vulnmod_prepare");
  // The guest is quiet: every free elsewhere in the kernel is a negative.
  prepare.negative_rate = 1;
  prepare.folds = 0;
  auto prepared = Prepare(*policy, prepare);
  ASSERT_THAT(prepared, IsOk());
  ASSERT_TRUE(prepared->model.has_value());
  const AuditionModel& model = *prepared->model;
  const auto own = std::count(prepared->dataset.labels.begin(), prepared->dataset.labels.end(),
                              kOwnLabel);
  std::cout << "prepared: " << prepared->dataset.num_rows() << " samples (" << own
            << " own), held-out accuracy " << prepared->held_out.Accuracy() << ", FPR "
            << prepared->held_out.FalsePositiveRate(kPreparePositive) << ", "
            << prepared->bpf_insns << " BPF instructions, "
            << prepared->kernel_disagreements << " disagreements in the kernel\n";
  EXPECT_GE(own, 1000) << "the benign workload frees thousands of records";
  EXPECT_EQ(model.schema().kernel_release, bpf::RunningKernelRelease());

  // 2. Its miss rate on the victims of this kernel.
  victims::HarvestOptions harvest;
  harvest.rounds = 10;
  auto measured = victims::MeasureVictimMissRates(*policy, model, harvest);
  ASSERT_THAT(measured, IsOk());
  std::cout << "victims, for the vulnmod model on this kernel:\n"
            << victims::FormatMissRates(measured->rates);

  // 3. The benign workload runs; O2C attaches in its middle with the model.
  Benign benign = StartBenign();
  ASSERT_GT(benign.pid, 0);
  ASSERT_NE(benign.out, nullptr);
  char line[16] = {};
  ASSERT_NE(fgets(line, sizeof(line), benign.out), nullptr) << "the benign workload died";
  ASSERT_STREQ(line, "ready\n");

  std::vector<Event> events;
  Enforcer::Options options;
  options.capabilities = &features;
  options.object_events = false;
  options.on_event = [&](const Event& e) { events.push_back(e); };
  auto enforcer = Enforcer::Attach(*compartment, *policy, &model, *kallsyms, options);
  ASSERT_THAT(enforcer, IsOk());
  std::cout << FormatMechanisms((*enforcer)->Mechanisms());
  ASSERT_EQ((*enforcer)->phase(), Event::TRANSITION);
  // Long enough for the benign workload to free the records it stored
  // before the attach (each slot is revisited every few milliseconds).
  for (int i = 0; i < 20; ++i) ASSERT_THAT((*enforcer)->Poll(100), IsOk());

  // The benign workload ends on its own terms before the exploit runs: the
  // violation quarantines the device, which then refuses it too.
  ASSERT_EQ(kill(benign.pid, SIGTERM), 0);
  int wstatus = 0;
  ASSERT_EQ(waitpid(benign.pid, &wstatus, 0), benign.pid);
  fclose(benign.out);
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0)
      << "the benign workload: wait status " << wstatus;

  // 4. The exploit: its own record first, then the out-of-bounds free, then
  // its next step, which must never run.
  int go[2];
  Pipe steps;
  ASSERT_EQ(pipe(go), 0);
  ASSERT_EQ(pipe2(steps.fds, 0), 0);
  pid_t exploit = fork();
  ASSERT_GE(exploit, 0);
  if (exploit == 0) {
    char c;
    int dev = open(kVulnmodDevice, O_RDWR);
    if (dev < 0 || read(go[0], &c, 1) != 1) _exit(2);
    if (VulnRequest(dev, VULN_ALLOC, kExploitSlot, 64) != 0 ||
        VulnRequest(dev, VULN_FREE, kExploitSlot) != 0) {
      _exit(3);
    }
    if (write(steps.fds[1], "1", 1) != 1) _exit(4);
    VulnRequest(dev, VULN_FREE, VULN_SLOTS);  // frees the kernel's bitmap
    (void)!write(steps.fds[1], "2", 1);       // the exploit's next step
    _exit(0);
  }
  ASSERT_EQ(write(go[1], "g", 1), 1);
  ASSERT_EQ(waitpid(exploit, &wstatus, 0), exploit);
  EXPECT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL) << wstatus;
  close(steps.fds[1]);
  steps.fds[1] = -1;
  std::string seen;
  char c;
  while (read(steps.fds[0], &c, 1) == 1) seen += c;
  EXPECT_EQ(seen, "1") << "the exploit's next step ran";

  for (;;) {
    auto n = (*enforcer)->Poll(0);
    ASSERT_THAT(n, IsOk());
    if (*n == 0) break;
  }
  ASSERT_EQ((*enforcer)->phase(), Event::TRANSITION) << "the verdict came from the tree";

  // The verdict: the tree's, in the kernel, for the exploit's free.
  const Event* violation = nullptr;
  int benign_auditions = 0;
  int benign_violations = 0;
  for (const Event& e : events) {
    const bool from_benign = e.tgid() == static_cast<uint32_t>(benign.pid);
    if (e.kind() == Event::AUDITION && from_benign) {
      ++benign_auditions;
      EXPECT_EQ(e.verdict(), "own") << "leaf " << e.leaf_id() << ": "
                                    << RuleToLeaf(model, e.leaf_id());
    }
    if (e.kind() == Event::AUDITION && e.tgid() == static_cast<uint32_t>(exploit)) {
      std::cout << "the exploit's free at " << e.site() << ": leaf " << e.leaf_id() << " says "
                << e.verdict() << " (" << RuleToLeaf(model, e.leaf_id()) << ")\n";
    }
    if (e.kind() != Event::VIOLATION) continue;
    if (from_benign) ++benign_violations;
    if (e.tgid() == static_cast<uint32_t>(exploit)) violation = &e;
  }
  std::cout << "benign workload: " << benign_auditions
            << " of its records from before the attach auditioned, " << benign_violations
            << " violations\n";
  EXPECT_EQ(benign_violations, 0);
  EXPECT_GT(benign_auditions, 0) << "the benign workload's pre-attach records were auditioned";
  ASSERT_NE(violation, nullptr) << "no violation for the exploit";
  std::cout << "violation at " << violation->site() << ": leaf " << violation->leaf_id()
            << " says " << violation->verdict() << " ("
            << RuleToLeaf(model, violation->leaf_id()) << ")\n";
  EXPECT_EQ(violation->violation(), Event::VIOLATION_AUDITION);
  EXPECT_EQ(violation->verdict(), "kernel");
  EXPECT_GE(violation->leaf_id(), 0);
  auto thresholded = model.WithOwnThreshold(policy->own_threshold());
  ASSERT_THAT(thresholded, IsOk());
  EXPECT_EQ(LeafLabel(thresholded->tree(), violation->leaf_id()), kKernelLabel)
      << "the event's leaf is a kernel leaf of the model as attached";
  EXPECT_NE(RuleToLeaf(model, violation->leaf_id()), "no such leaf");
  EXPECT_EQ(violation->leaf_rule(), model.RuleToLeaf(violation->leaf_id()))
      << "the event carries the path the tree took in the kernel";
  EXPECT_FALSE(violation->downgraded());
  EXPECT_FALSE(violation->late_audition());
  EXPECT_TRUE(absl::StartsWith(violation->site(), "vuln_free+")) << violation->site();
  EXPECT_THAT(violation->stack(), Contains(HasSubstr("vuln_ioctl")));
  EXPECT_THAT(violation->actions(), Contains(Event::ACTION_KILL));
  auto stats = (*enforcer)->Stats();
  ASSERT_THAT(stats, IsOk());
  EXPECT_EQ(stats->violations, 1u);
  EXPECT_EQ(stats->kills, 1u);
  EXPECT_TRUE((*enforcer)->quarantined());
  if (features.Has(bpf::Capability::kLsm)) {
    int dev = open(kVulnmodDevice, O_RDWR);
    ASSERT_GE(dev, 0);
    errno = 0;
    EXPECT_EQ(VulnRequest(dev, VULN_ALLOC, 0, 64), -1);
    EXPECT_EQ(errno, EPERM);
    close(dev);
  }
  (*enforcer)->Detach();
}

}  // namespace
}  // namespace o2c
