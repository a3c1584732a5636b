// Kernel tier: the running kernel's /proc/kallsyms.
#include <unistd.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "o2c/bpf/kernel/kallsyms.h"

namespace o2c::bpf {
namespace {

TEST(KallsymsKernelTest, ReadsTheRunningKernelsPipeFunctions) {
  if (geteuid() != 0) GTEST_SKIP() << "SKIPPED: /proc/kallsyms addresses need root";
  auto table = Kallsyms::FromFile();
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_GT(table->size(), 10000u);
  auto range = table->FunctionRange("alloc_pipe_info");
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_GT(range->size(), 16u);
  EXPECT_LT(range->size(), 4096u);
  EXPECT_EQ(table->Format(range->start + 4), "alloc_pipe_info+0x4");
}

}  // namespace
}  // namespace o2c::bpf
