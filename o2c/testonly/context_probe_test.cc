// Kernel tier: the enforcer's context classification (lib/context.bpf.h) on
// hooks whose context is known: a softirq, the timer interrupt, this
// process's syscalls and task switches (kernel threads among them).
#include <bpf/libbpf.h>
#include <unistd.h>

#include <chrono>
#include <memory>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "o2c/bpf/enforcer.h"
#include "o2c/bpf/loader/preempt_count.h"
#include "o2c/testonly/context_probe.h"
#include "o2c/testonly/context_probe.skel.h"
#include "testing/kernel_test.h"
#include "testing/status_matchers.h"

namespace o2c::bpf {
namespace {

using ::o2c::testing::IsOk;

struct SkelDeleter {
  void operator()(context_probe_bpf* skel) const { context_probe_bpf__destroy(skel); }
};

TEST(ContextProbeTest, ClassifiesInterruptsTasksAndKernelThreads) {
  O2C_REQUIRE_KERNEL();
  std::unique_ptr<context_probe_bpf, SkelDeleter> skel(context_probe_bpf__open());
  ASSERT_NE(skel, nullptr);
  auto distance = PreemptCountFromRunqueues();
  ASSERT_THAT(distance, IsOk());
  skel->rodata->o2c_preempt_count_from_rq = *distance;
  skel->rodata->target_tgid = static_cast<uint32_t>(getpid());
  ASSERT_EQ(context_probe_bpf__load(skel.get()), 0);
  ASSERT_EQ(context_probe_bpf__attach(skel.get()), 0);
  // Busy with syscalls long enough for ticks (hardirq), their timer
  // softirqs and some scheduling; a short sleep lets kernel threads run.
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
  while (std::chrono::steady_clock::now() < end) getppid();
  usleep(50 * 1000);
  context_probe_bpf__detach(skel.get());

  auto seen = [&](o2c_probe_hook hook, o2c_context context) {
    return skel->bss->seen[hook * O2C_PROBE_CONTEXTS + context];
  };
  struct Expected {
    o2c_probe_hook hook;
    o2c_context context;
  } expected[] = {
      {O2C_PROBE_SOFTIRQ_ENTRY, O2C_CONTEXT_SOFTIRQ},
      {O2C_PROBE_TIMER_ENTRY, O2C_CONTEXT_HARDIRQ},
      {O2C_PROBE_SYS_ENTER, O2C_CONTEXT_PROCESS},
  };
  for (const Expected& e : expected) {
    EXPECT_GE(seen(e.hook, e.context), 1u) << "hook " << e.hook;
    for (int c = 0; c < O2C_PROBE_CONTEXTS; ++c) {
      if (c == e.context) continue;
      EXPECT_EQ(seen(e.hook, o2c_context(c)), 0u) << "hook " << e.hook << " context " << c;
    }
  }
  EXPECT_GE(seen(O2C_PROBE_SCHED_SWITCH, O2C_CONTEXT_KTHREAD), 1u);
  EXPECT_GE(seen(O2C_PROBE_SCHED_SWITCH, O2C_CONTEXT_PROCESS), 1u);
  EXPECT_EQ(seen(O2C_PROBE_SCHED_SWITCH, O2C_CONTEXT_UNKNOWN), 0u);
  EXPECT_EQ(skel->bss->kthread_mismatches, 0u);
}

}  // namespace
}  // namespace o2c::bpf
