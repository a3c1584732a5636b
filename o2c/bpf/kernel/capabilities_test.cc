// Kernel tier: probing the running kernel's BPF features.
#include "o2c/bpf/kernel/capabilities.h"

#include <iostream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/kernel_test.h"

namespace o2c::bpf {
namespace {

TEST(KernelFeaturesTest, ProbesEveryFeatureWithAReason) {
  O2C_REQUIRE_KERNEL();
  KernelCapabilities k = KernelCapabilities::Probe();
  std::cout << k.FormatTable();
  ASSERT_EQ(k.results().size(), AllCapabilities().size());
  for (const CapabilityResult& r : k.results()) {
    EXPECT_FALSE(r.detail.empty()) << CapabilityName(r.feature);
    if (!r.works) {
      EXPECT_NE(r.error, 0) << CapabilityName(r.feature) << ": " << r.detail;
    }
  }
  // Every kernel O2C supports has these; the tracking programs need them.
  EXPECT_TRUE(k.Has(Capability::kRawTp)) << k.Get(Capability::kRawTp).detail;
  EXPECT_TRUE(k.Has(Capability::kRingbuf)) << k.Get(Capability::kRingbuf).detail;
  EXPECT_TRUE(k.Has(Capability::kSendSignal)) << k.Get(Capability::kSendSignal).detail;
  EXPECT_TRUE(k.Has(Capability::kSyscallTestRun)) << k.Get(Capability::kSyscallTestRun).detail;
}

// The two kernel profiles O2C is tested on. The development/CI host (6.18)
// refuses every trampoline program and has no kprobes (DESIGN.md's table);
// Debian's stock kernel in the VM tier has them all. Which one runs is told
// by kprobes, and each profile is asserted in full.
TEST(KernelFeaturesTest, MatchesTheKnownKernelProfile) {
  O2C_REQUIRE_KERNEL();
  KernelCapabilities k = KernelCapabilities::Probe();
  if (!k.Has(Capability::kKprobe)) {  // the restricted host
    EXPECT_EQ(k.Get(Capability::kKprobe).error, ENOENT) << k.Get(Capability::kKprobe).detail;
    EXPECT_TRUE(k.Has(Capability::kTpBtf)) << k.Get(Capability::kTpBtf).detail;
    EXPECT_TRUE(k.Has(Capability::kTracepoint)) << k.Get(Capability::kTracepoint).detail;
    EXPECT_TRUE(k.Has(Capability::kUprobe)) << k.Get(Capability::kUprobe).detail;
    EXPECT_TRUE(k.Has(Capability::kTaskStorage)) << k.Get(Capability::kTaskStorage).detail;
    for (Capability refused : {Capability::kFentry, Capability::kFexit, Capability::kFmodRet,
                            Capability::kLsm}) {
      EXPECT_FALSE(k.Has(refused)) << CapabilityName(refused);
      EXPECT_EQ(k.Get(refused).error, EPERM) << k.Get(refused).detail;
    }
  } else {  // a full stock kernel
    for (Capability works : {Capability::kFentry, Capability::kFexit, Capability::kFmodRet,
                          Capability::kLsm, Capability::kKprobeOffset, Capability::kRawTp}) {
      EXPECT_TRUE(k.Has(works)) << CapabilityName(works) << ": " << k.Get(works).detail;
    }
  }
}

}  // namespace
}  // namespace o2c::bpf
