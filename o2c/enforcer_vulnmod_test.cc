// A real exploit of a real module, stopped: o2c::Enforcer with
// testdata/policies/vulnmod.policy over testdata/vulnmod, a deliberately
// vulnerable misc device whose off-by-one index makes it kfree() a kernel
// object (vulnmod.c). VM tier only: this host's kernel refuses modules.
//
// The exploit's process frees the kernel's object and would go on to its
// next step (here: a byte written to a pipe); the enforcer kills it first,
// and where the kernel has BPF LSM, quarantine then refuses the device to
// every process until the enforcer detaches.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "o2c/bpf/kernel/kallsyms.h"
#include "o2c/bpf/kernel/capabilities.h"
#include "o2c/bpf/kmem_sites_programs.h"
#include "o2c/compartment.h"
#include "o2c/enforcer.h"
#include "o2c/policy.h"
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

TEST(EnforcerVulnmodTest, TheArbitraryFreeIsKilledBeforeItsNextStepAndQuarantined) {
  O2C_REQUIRE_KERNEL();
  ASSERT_EQ(LoadVulnmod(), "");
  auto kallsyms = bpf::Kallsyms::FromFile();
  ASSERT_THAT(kallsyms, IsOk());
  auto policy = Policy::FromFile("testdata/policies/vulnmod.policy");
  ASSERT_THAT(policy, IsOk());
  auto compartment = Compartment::Resolve(*policy, *kallsyms);
  ASSERT_THAT(compartment, IsOk());
  bpf::KernelCapabilities features = bpf::KernelCapabilities::Probe();

  // The exploit: a legitimate object first, then the out-of-bounds free,
  // then its next step, which must never run.
  int go[2];
  Pipe steps;
  ASSERT_EQ(pipe(go), 0);
  ASSERT_EQ(pipe2(steps.fds, 0), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    char c;
    int dev = open(kVulnmodDevice, O_RDWR);
    if (dev < 0 || read(go[0], &c, 1) != 1) _exit(2);
    if (VulnRequest(dev, VULN_ALLOC, 0, 64) != 0 || VulnRequest(dev, VULN_FREE, 0) != 0) _exit(3);
    if (write(steps.fds[1], "1", 1) != 1) _exit(4);
    VulnRequest(dev, VULN_FREE, VULN_SLOTS);  // frees the kernel's bitmap
    (void)!write(steps.fds[1], "2", 1);   // the exploit's next step
    _exit(0);
  }
  std::vector<Event> events;
  Enforcer::Options options;
  options.scope_tgid = static_cast<uint32_t>(child);
  options.capabilities = &features;
  options.on_event = [&](const Event& e) { events.push_back(e); };
  // No model: the final phase from the start (every untracked free at a
  // free site is a violation).
  auto enforcer = Enforcer::Attach(*compartment, *policy, nullptr, *kallsyms, options);
  ASSERT_THAT(enforcer, IsOk());
  std::cout << FormatMechanisms((*enforcer)->Mechanisms());
  ASSERT_EQ(write(go[1], "g", 1), 1);
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
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
  auto stats = (*enforcer)->Stats();
  ASSERT_THAT(stats, IsOk());
  EXPECT_EQ(stats->tracked, 1u) << "the module's own object";
  EXPECT_EQ(stats->freed_own, 1u);
  EXPECT_EQ(stats->violations, 1u);
  EXPECT_EQ(stats->kills, 1u);
  const Event* violation = nullptr;
  for (const Event& e : events) {
    if (e.kind() == Event::VIOLATION) violation = &e;
  }
  ASSERT_NE(violation, nullptr);
  std::cout << "  violation at " << violation->site() << ":\n";
  for (const std::string& frame : violation->stack()) std::cout << "    " << frame << "\n";
  EXPECT_EQ(violation->violation(), Event::VIOLATION_UNTRACKED_FREE);
  EXPECT_TRUE(absl::StartsWith(violation->site(), "vuln_free+")) << violation->site();
  EXPECT_THAT(violation->stack(), Contains(HasSubstr("vuln_ioctl")));
  EXPECT_THAT(violation->actions(), ::testing::ElementsAre(Event::ACTION_AUDIT, Event::ACTION_KILL,
                                                           Event::ACTION_QUARANTINE));
  EXPECT_TRUE((*enforcer)->quarantined());

  // Quarantine: the device is the module's (its file_operations are module
  // code), so where BPF LSM exists every process is refused it now.
  int dev = open(kVulnmodDevice, O_RDWR);
  ASSERT_GE(dev, 0) << std::strerror(errno);
  if (features.Has(bpf::Capability::kLsm)) {
    errno = 0;
    EXPECT_EQ(VulnRequest(dev, VULN_ALLOC, 1, 64), -1);
    EXPECT_EQ(errno, EPERM);
    auto after = (*enforcer)->Stats();
    ASSERT_THAT(after, IsOk());
    EXPECT_GE(after->quarantine_denials, 1u);
  }
  (*enforcer)->Detach();
  EXPECT_EQ(VulnRequest(dev, VULN_ALLOC, 1, 64), 0) << std::strerror(errno);
  EXPECT_EQ(VulnRequest(dev, VULN_FREE, 1), 0) << std::strerror(errno);
  close(dev);
}

// vuln_new and vuln_drop tail-jump to __kmalloc and kfree: the objects made
// and freed through them are the module's, seen at the calls of those two.
// vuln_name's kfree_const is reported at vulnmod's own call: inside the
// compartment's code, yet not a free site (nothing may call the module's
// own string a kernel object).
TEST(EnforcerVulnmodTest, TailJumpSitesAreExactAndNoOtherCallIsAFreeSite) {
  O2C_REQUIRE_KERNEL();
  ASSERT_EQ(LoadVulnmod(), "");
  auto kallsyms = bpf::Kallsyms::FromFile();
  ASSERT_THAT(kallsyms, IsOk());
  auto policy = Policy::FromFile("testdata/policies/vulnmod.policy");
  ASSERT_THAT(policy, IsOk());
  auto compartment = Compartment::Resolve(*policy, *kallsyms);
  ASSERT_THAT(compartment, IsOk());
  std::cout << compartment->Format(*kallsyms);
  bool alloc_tail = false, free_tail = false;
  for (const TailJump& t : compartment->tail_jumps()) {
    alloc_tail |= t.function == "vuln_new" && t.kind == CallSite::Kind::kAlloc &&
                  t.direct_callers == 1;
    free_tail |= t.function == "vuln_drop" && t.kind == CallSite::Kind::kFree &&
                 t.direct_callers == 1;
  }
  EXPECT_TRUE(alloc_tail) << "vuln_new: jmp __kmalloc, called once";
  EXPECT_TRUE(free_tail) << "vuln_drop: jmp kfree, called once";
  bpf::KernelCapabilities features = bpf::KernelCapabilities::Probe();

  int go[2];
  ASSERT_EQ(pipe(go), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    char c;
    int dev = open(kVulnmodDevice, O_RDWR);
    if (dev < 0 || read(go[0], &c, 1) != 1) _exit(2);
    if (VulnRequest(dev, VULN_ALLOC_TAIL, 2, 64) != 0 || VulnRequest(dev, VULN_FREE_TAIL, 2) != 0) {
      _exit(3);
    }
    if (VulnRequest(dev, VULN_NAME, 0) != 0) _exit(4);
    _exit(0);
  }
  // Every free the kernel reports with a call_site in the module's code.
  std::vector<bpf::AddressRange> module_code;
  for (const NamedRange& r : compartment->code()) module_code.push_back(r.range);
  auto in_module = bpf::KmemSitesPrograms::Start({module_code, static_cast<uint32_t>(child)},
                                                 features);
  ASSERT_THAT(in_module, IsOk());
  std::vector<Event> events;
  Enforcer::Options options;
  options.scope_tgid = static_cast<uint32_t>(child);
  options.capabilities = &features;
  options.on_event = [&](const Event& e) { events.push_back(e); };
  // No model: the final phase from the start, where a free of anything
  // untracked at a free site is a violation.
  auto enforcer = Enforcer::Attach(*compartment, *policy, nullptr, *kallsyms, options);
  ASSERT_THAT(enforcer, IsOk());
  std::cout << FormatMechanisms((*enforcer)->Mechanisms());
  ASSERT_EQ(write(go[1], "g", 1), 1);
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) << wstatus;
  for (;;) {
    auto n = (*enforcer)->Poll(0);
    ASSERT_THAT(n, IsOk());
    if (*n == 0) break;
  }
  auto stats = (*enforcer)->Stats();
  ASSERT_THAT(stats, IsOk());
  auto seen = (*in_module)->Total();
  ASSERT_THAT(seen, IsOk());
  std::cout << "  frees reported inside the module's code: " << seen->frees << "; tracked "
            << stats->tracked << ", freed own " << stats->freed_own << ", untracked frees "
            << stats->untracked_frees << ", violations " << stats->violations << "\n";
  EXPECT_EQ(stats->tracked, 1u) << "vuln_new's object, at its caller's call";
  EXPECT_EQ(stats->freed_own, 1u) << "freed by vuln_drop, at its caller's call";
  EXPECT_EQ(seen->frees, 2u) << "vuln_drop's kfree and vuln_name's kfree_const";
  EXPECT_EQ(stats->untracked_frees, 0u);
  EXPECT_EQ(stats->violations, 0u);
  EXPECT_EQ(stats->kills, 0u);
}

}  // namespace
}  // namespace o2c
