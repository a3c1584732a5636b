// Kernel tier: the census finds exactly the pipes of this process that were
// opened before the enforcer attached, and stops finding them once closed.
#include "o2c/bpf/census_programs.h"

#include <bpf/bpf.h>
#include <unistd.h>

#include <cerrno>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "o2c/bpf/enforcer_programs.h"
#include "o2c/bpf/kernel/capabilities.h"
#include "o2c/testonly/pipe_functions.h"
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

class CensusProgramsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    O2C_REQUIRE_KERNEL();
    static const KernelCapabilities* capabilities =
        new KernelCapabilities(KernelCapabilities::Probe());
    auto flavor = ChooseKmemHookFlavor(*capabilities);
    ASSERT_THAT(flavor, IsOk());
    auto kallsyms = Kallsyms::FromFile();
    ASSERT_THAT(kallsyms, IsOk());
    ASSERT_THAT(UsePipeFunctions(*kallsyms, config_), IsOk());
    config_.tgid = static_cast<uint32_t>(getpid());
    config_.flavor = *flavor;
  }

  CensusCounts Census(CensusPrograms& census) {
    auto counts = census.Run();
    EXPECT_THAT(counts, IsOk());
    return counts.ok() ? *counts : CensusCounts{};
  }

  EnforcerConfig config_;
};

TEST_F(CensusProgramsTest, CountsPreAttachPipesUntilTheyAreClosed) {
  auto enforcer = EnforcerPrograms::Load(config_);
  ASSERT_THAT(enforcer, IsOk());
  auto census = CensusPrograms::Load(config_.code, (*enforcer)->HeapMaps(), config_.tgid);
  ASSERT_THAT(census, IsOk());
  // What this process inherited (the test runner's output may be a pipe).
  const CensusCounts inherited = Census(**census);
  EXPECT_EQ(inherited.tracked, 0u);
  EXPECT_EQ(inherited.untracked, inherited.compartment_files);

  std::vector<Pipe> old_pipes = OpenPipes(10);
  ASSERT_THAT((*enforcer)->Attach(), IsOk());
  // Both ends of each pipe are references to one untracked pipe_inode_info.
  CensusCounts before = Census(**census);
  EXPECT_EQ(before.untracked, inherited.untracked + 20);
  EXPECT_EQ(before.tracked, 0u);
  EXPECT_EQ(before.compartment_files, inherited.compartment_files + 20);
  EXPECT_GE(before.files, inherited.files + 20);

  std::vector<Pipe> new_pipes = OpenPipes(5);
  CensusCounts during = Census(**census);
  EXPECT_EQ(during.untracked, inherited.untracked + 20);
  EXPECT_EQ(during.tracked, 10u);

  CloseAll(old_pipes);
  CensusCounts after = Census(**census);
  EXPECT_EQ(after.untracked, inherited.untracked);
  EXPECT_EQ(after.tracked, 10u);
  CloseAll(new_pipes);
  EXPECT_EQ(Census(**census).compartment_files, inherited.compartment_files);
}

TEST_F(CensusProgramsTest, RefusesMapsThatAreNotAHeapTracker) {
  // Three entries: no heap tracker's bucket array has that size.
  int map = bpf_map_create(BPF_MAP_TYPE_ARRAY, "not_a_heap", 4, 8, 3, nullptr);
  ASSERT_GE(map, 0) << errno;
  HeapMapFds bogus{.tracked = map, .tracked_counts = map, .tracked_overflow = map};
  EXPECT_THAT(CensusPrograms::Load(config_.code, bogus, 0),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("'tracked' has 3 entries; want a power of two")));
  close(map);
}

}  // namespace
}  // namespace o2c::bpf
