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
#include <sys/ioctl.h>
#include <sys/syscall.h>
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
#include "o2c/compartment.h"
#include "o2c/enforcer.h"
#include "o2c/policy.h"
#include "testdata/vulnmod/vulnmod.h"
#include "testing/kernel_test.h"
#include "testing/pipes.h"
#include "testing/status_matchers.h"

namespace o2c {
namespace {

using ::o2c::testing::IsOk;
using ::o2c::testing::Pipe;
using ::testing::Contains;
using ::testing::HasSubstr;

constexpr char kModule[] = "testdata/vulnmod/vulnmod.ko";
constexpr char kDevice[] = "/dev/vulnmod";

// Loads the module (once per boot); "" or why not.
std::string LoadVulnmod() {
  int fd = open(kModule, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::string(kModule) + ": " + std::strerror(errno);
  long rc = syscall(SYS_finit_module, fd, "", 0);
  int err = errno;
  close(fd);
  if (rc != 0 && err != EEXIST) return std::string("finit_module: ") + std::strerror(err);
  return "";
}

long Request(int fd, unsigned long cmd, uint32_t index, uint32_t size = 0) {
  vuln_request req = {.index = index, .size = size, .data = 0};
  return ioctl(fd, cmd, &req);
}

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
    int dev = open(kDevice, O_RDWR);
    if (dev < 0 || read(go[0], &c, 1) != 1) _exit(2);
    if (Request(dev, VULN_ALLOC, 0, 64) != 0 || Request(dev, VULN_FREE, 0) != 0) _exit(3);
    if (write(steps.fds[1], "1", 1) != 1) _exit(4);
    Request(dev, VULN_FREE, VULN_SLOTS);  // frees the kernel's bitmap
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
  int dev = open(kDevice, O_RDWR);
  ASSERT_GE(dev, 0) << std::strerror(errno);
  if (features.Has(bpf::Capability::kLsm)) {
    errno = 0;
    EXPECT_EQ(Request(dev, VULN_ALLOC, 1, 64), -1);
    EXPECT_EQ(errno, EPERM);
    auto after = (*enforcer)->Stats();
    ASSERT_THAT(after, IsOk());
    EXPECT_GE(after->quarantine_denials, 1u);
  }
  (*enforcer)->Detach();
  EXPECT_EQ(Request(dev, VULN_ALLOC, 1, 64), 0) << std::strerror(errno);
  EXPECT_EQ(Request(dev, VULN_FREE, 1), 0) << std::strerror(errno);
  close(dev);
}

}  // namespace
}  // namespace o2c
