// Kernel tier: probing the running kernel's BPF features.
#include "o2c/bpf/kernel_features.h"

#include <iostream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/kernel_test.h"

namespace o2c::bpf {
namespace {

TEST(KernelFeaturesTest, ProbesEveryFeatureWithAReason) {
  O2C_REQUIRE_KERNEL();
  KernelFeatures k = KernelFeatures::Probe();
  std::cout << k.FormatTable();
  ASSERT_EQ(k.results().size(), AllFeatures().size());
  for (const FeatureResult& r : k.results()) {
    EXPECT_FALSE(r.detail.empty()) << FeatureName(r.feature);
    if (!r.works) {
      EXPECT_NE(r.error, 0) << FeatureName(r.feature) << ": " << r.detail;
    }
  }
  // Every kernel O2C supports has these; the tracking programs need them.
  EXPECT_TRUE(k.Has(Feature::kRawTp)) << k.Get(Feature::kRawTp).detail;
  EXPECT_TRUE(k.Has(Feature::kRingbuf)) << k.Get(Feature::kRingbuf).detail;
  EXPECT_TRUE(k.Has(Feature::kSendSignal)) << k.Get(Feature::kSendSignal).detail;
  EXPECT_TRUE(k.Has(Feature::kSyscallTestRun)) << k.Get(Feature::kSyscallTestRun).detail;
}

// The two kernel profiles O2C is tested on. The development/CI host (6.18)
// refuses every trampoline program and has no kprobes (DESIGN.md's table);
// Debian's stock kernel in the VM tier has them all. Which one runs is told
// by kprobes, and each profile is asserted in full.
TEST(KernelFeaturesTest, MatchesTheKnownKernelProfile) {
  O2C_REQUIRE_KERNEL();
  KernelFeatures k = KernelFeatures::Probe();
  if (!k.Has(Feature::kKprobe)) {  // the restricted host
    EXPECT_EQ(k.Get(Feature::kKprobe).error, ENOENT) << k.Get(Feature::kKprobe).detail;
    EXPECT_TRUE(k.Has(Feature::kTpBtf)) << k.Get(Feature::kTpBtf).detail;
    EXPECT_TRUE(k.Has(Feature::kTracepoint)) << k.Get(Feature::kTracepoint).detail;
    EXPECT_TRUE(k.Has(Feature::kUprobe)) << k.Get(Feature::kUprobe).detail;
    EXPECT_TRUE(k.Has(Feature::kTaskStorage)) << k.Get(Feature::kTaskStorage).detail;
    for (Feature refused : {Feature::kFentry, Feature::kFexit, Feature::kFmodRet,
                            Feature::kLsm}) {
      EXPECT_FALSE(k.Has(refused)) << FeatureName(refused);
      EXPECT_EQ(k.Get(refused).error, EPERM) << k.Get(refused).detail;
    }
  } else {  // a full stock kernel
    for (Feature works : {Feature::kFentry, Feature::kFexit, Feature::kFmodRet,
                          Feature::kLsm, Feature::kKprobeOffset, Feature::kRawTp}) {
      EXPECT_TRUE(k.Has(works)) << FeatureName(works) << ": " << k.Get(works).detail;
    }
  }
}

}  // namespace
}  // namespace o2c::bpf
