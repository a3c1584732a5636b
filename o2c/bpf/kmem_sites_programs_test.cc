// Kernel tier: counting fs/pipe.c's slab allocations and frees of real pipes.
#include "o2c/bpf/kmem_sites_programs.h"

#include <sys/wait.h>
#include <unistd.h>

#include <iostream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"
#include "o2c/testonly/pipe_functions.h"
#include "testing/kernel_test.h"

namespace o2c::bpf {
namespace {

using ::o2c::testing::StatusIs;
using ::testing::HasSubstr;

// One pipe2() makes two slab allocations in alloc_pipe_info (the
// pipe_inode_info and its pipe_buffer array) and closing both ends frees
// both in free_pipe_info. Data pages come from the page allocator.
constexpr uint64_t kAllocsPerPipe = 2;
constexpr uint64_t kFreesPerPipe = 2;

void MakePipes(int n) {
  for (int i = 0; i < n; ++i) {
    int fds[2];
    ASSERT_EQ(pipe2(fds, 0), 0);
    close(fds[0]);
    close(fds[1]);
  }
}

class KmemSiteCounterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    O2C_REQUIRE_KERNEL();
    auto table = Kallsyms::FromFile();
    ASSERT_TRUE(table.ok()) << table.status();
    kallsyms_ = std::make_unique<Kallsyms>(*std::move(table));
    // One probe per process: it loads a dozen programs (seconds under TCG).
    static const KernelCapabilities* probed = new KernelCapabilities(KernelCapabilities::Probe());
    features_ = probed;
  }

  std::unique_ptr<Kallsyms> kallsyms_;
  const KernelCapabilities* features_ = nullptr;
};

TEST_F(KmemSiteCounterTest, CountsExactlyThePipeAllocationsOfThisProcess) {
  std::vector<std::string> names;
  auto ranges = PipeFunctionRanges(*kallsyms_, &names);
  ASSERT_TRUE(ranges.ok()) << ranges.status();
  auto counter = KmemSitesPrograms::Start({*ranges, static_cast<uint32_t>(getpid())},
                                        *features_);
  ASSERT_TRUE(counter.ok()) << counter.status();

  constexpr int kPipes = 500;
  MakePipes(kPipes);
  // A child's pipes are another process's: not counted.
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    for (int i = 0; i < 100; ++i) {
      int fds[2];
      if (pipe2(fds, 0) == 0) {
        close(fds[0]);
        close(fds[1]);
      }
    }
    _exit(0);
  }
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);

  auto total = (*counter)->Total();
  ASSERT_TRUE(total.ok()) << total.status();
  std::cout << "hook flavour " << KmemHookFlavorName((*counter)->flavor()) << ", "
            << kPipes << " pipes: " << total->allocs << " allocs ("
            << total->alloc_bytes / kPipes << " bytes per pipe), " << total->frees
            << " frees\n";
  EXPECT_EQ(total->allocs, kAllocsPerPipe * kPipes);
  EXPECT_EQ(total->frees, kFreesPerPipe * kPipes);
  EXPECT_EQ(total->alloc_bytes % kPipes, 0u);
  EXPECT_GT(total->alloc_bytes, 0u);

  // Both allocations happen in alloc_pipe_info (names[0]); free_pipe_info
  // (names[1]) frees at least the pipe_inode_info itself.
  auto per_range = (*counter)->Read();
  ASSERT_TRUE(per_range.ok());
  for (size_t i = 0; i < names.size(); ++i) {
    const SiteCounts& c = (*per_range)[i];
    if (c.allocs || c.frees) {
      std::cout << "  " << names[i] << ": " << c.allocs << " allocs, " << c.frees
                << " frees\n";
    }
  }
  EXPECT_EQ((*per_range)[0].allocs, kAllocsPerPipe * kPipes) << names[0];
  EXPECT_GE((*per_range)[1].frees, uint64_t{kPipes}) << names[1];
}

TEST_F(KmemSiteCounterTest, NothingCountedOutsideTheRanges) {
  // A range that allocates nothing: the kernel's first 16 bytes of text.
  // (Data symbols are absent from kallsyms without CONFIG_KALLSYMS_ALL.)
  const Symbol& first = kallsyms_->symbols().front();
  auto counter = KmemSitesPrograms::Start(
      {{{first.address, first.address + 16}}, static_cast<uint32_t>(getpid())},
      *features_);
  ASSERT_TRUE(counter.ok()) << counter.status();
  MakePipes(50);
  auto total = (*counter)->Total();
  ASSERT_TRUE(total.ok());
  EXPECT_EQ(total->allocs, 0u);
  EXPECT_EQ(total->frees, 0u);
}

TEST_F(KmemSiteCounterTest, BadRangesAreRefusedBeforeLoading) {
  auto overlapping = KmemSitesPrograms::Start({{{100, 200}, {150, 300}}, 0}, *features_);
  EXPECT_THAT(overlapping, StatusIs(absl::StatusCode::kInvalidArgument,
                                   HasSubstr("code ranges 0 and 1 overlap")));
  EXPECT_THAT(KmemSitesPrograms::Start({{}, 0}, *features_),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("0 code ranges; want 1 to 128")));
}

}  // namespace
}  // namespace o2c::bpf
