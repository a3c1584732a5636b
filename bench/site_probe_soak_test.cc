// Kernel tier: a short site-probe soak (site_probe_soak.h) where kprobes at
// function+offset work (the VM's kernels); bench/site_probe_soak.sh runs the
// long one under each qemu configuration.
#include "bench/site_probe_soak.h"

#include "gtest/gtest.h"
#include "o2c/bpf/kernel/capabilities.h"
#include "testing/kernel_test.h"

namespace o2c::bench {
namespace {

TEST(SiteProbeSoakTest, AttachDetachUnderAnAllocationStormLeavesNothing) {
  O2C_REQUIRE_KERNEL();
  bpf::KernelCapabilities capabilities = bpf::KernelCapabilities::Probe();
  if (!capabilities.Has(bpf::Capability::kKprobeOffset)) {
    GTEST_SKIP() << "no kprobes at function+offset: "
                 << capabilities.Get(bpf::Capability::kKprobeOffset).detail;
  }
  EXPECT_EQ(RunSiteProbeSoak(20), 0);
}

}  // namespace
}  // namespace o2c::bench
