// Kernel tier: the profiler on fs/pipe.c with this process's pipes, in both
// hook flavours: pipes opened while attached are positives, with the
// extractor's features; pipes opened before are neither class; the rest of
// the kernel gives negatives at the sampling rate.
#include "o2c/bpf/profiler_programs.h"

#include <unistd.h>

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "o2c/bpf/enforcer.h"
#include "o2c/bpf/kernel/capabilities.h"
#include "o2c/testonly/pipe_functions.h"
#include "testing/kernel_test.h"
#include "testing/status_matchers.h"

namespace o2c::bpf {
namespace {

using ::o2c::testing::IsOk;
using ::o2c::testing::StatusIs;
using ::testing::HasSubstr;

class ProfilerProgramsTest : public ::testing::TestWithParam<KmemHookFlavor> {
 protected:
  void SetUp() override {
    O2C_REQUIRE_KERNEL();
    static const KernelCapabilities* features = new KernelCapabilities(KernelCapabilities::Probe());
    const Capability needed = GetParam() == KmemHookFlavor::kTpBtf ? Capability::kTpBtf
                                                                : Capability::kRawTp;
    // Where the kernel lacks this flavour (tp_btf on 6.1 cannot read the
    // object pointer), the tests check that loading it is refused instead.
    missing_ = !features->Has(needed);
    auto kallsyms = Kallsyms::FromFile();
    ASSERT_THAT(kallsyms, IsOk());
    ASSERT_THAT(UsePipeFunctions(*kallsyms, config_), IsOk());
    config_.flavor = GetParam();
  }

  // On a kernel without this flavour: expects Load to be refused by the
  // kernel, naming the load, and returns true.
  bool RefusedWhereMissing() {
    if (!missing_) return false;
    EXPECT_THAT(ProfilerPrograms::Load(config_),
                StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("profiler: load")));
    return true;
  }

  ProfilerConfig config_;
  bool missing_ = false;
};

TEST_P(ProfilerProgramsTest, NewPipesArePositivesOldPipesAreNeither) {
  if (RefusedWhereMissing()) return;
  config_.negative_rate = 1;  // every outside free
  auto profiler = ProfilerPrograms::Load(config_);
  ASSERT_THAT(profiler, IsOk());
  std::vector<int> old_fds(2 * 10);
  for (int i = 0; i < 10; ++i) ASSERT_EQ(pipe(&old_fds[2 * i]), 0);
  ASSERT_THAT((*profiler)->Attach(), IsOk());
  for (int i = 0; i < 10; ++i) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    close(fds[0]);
    close(fds[1]);
  }
  for (int fd : old_fds) close(fd);
  (*profiler)->Detach();

  std::vector<o2c_sample> samples;
  for (;;) {
    auto n = (*profiler)->PollSamples(0, [&](const o2c_sample& s) { samples.push_back(s); });
    ASSERT_THAT(n, IsOk());
    if (*n == 0) break;
  }
  auto stats = (*profiler)->ReadStats();
  ASSERT_THAT(stats, IsOk());
  // Each pipe is two slab objects allocated and freed by pipe.c; other
  // processes' pipes may add more.
  EXPECT_GE((*stats)[O2C_PSTAT_POSITIVES], 20u);
  EXPECT_GE((*stats)[O2C_PSTAT_UNTRACKED_AT_SITE], 20u);  // the old pipes
  EXPECT_GT((*stats)[O2C_PSTAT_NEGATIVES], 0u);
  EXPECT_EQ((*stats)[O2C_PSTAT_NEGATIVES_SKIPPED], 0u);
  EXPECT_EQ((*stats)[O2C_PSTAT_SAMPLES_LOST], 0u);
  EXPECT_EQ(samples.size(),
            (*stats)[O2C_PSTAT_POSITIVES] + (*stats)[O2C_PSTAT_NEGATIVES]);
  int own = 0;
  for (const o2c_sample& s : samples) {
    if (s.label != O2C_LABEL_OWN) continue;
    ++own;
    EXPECT_NE(s.alloc_site, 0u);
    int counted = 0;
    for (int c = 0; c < O2C_WORD_CLASSES; ++c) counted += s.features[O2C_F_NR_NULL + c];
    EXPECT_EQ(counted, O2C_FEATURE_WORDS);
    EXPECT_EQ(s.has_raw, 0u);
  }
  EXPECT_GE(own, 20);
}

TEST_P(ProfilerProgramsTest, RefusesABadRingBufferSize) {
  config_.ringbuf_bytes = 5000;
  EXPECT_THAT(ProfilerPrograms::Load(config_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ring buffer of 5000")));
}

INSTANTIATE_TEST_SUITE_P(Flavors, ProfilerProgramsTest,
                         ::testing::Values(KmemHookFlavor::kTpBtf, KmemHookFlavor::kRawTp),
                         [](const auto& info) {
                           return std::string(KmemHookFlavorName(info.param));
                         });

}  // namespace
}  // namespace o2c::bpf
