// LogTail: the end of a verifier log, as quoted in load errors.
#include "gtest/gtest.h"
#include "o2c/bpf/loader/program_loader.h"

namespace o2c::bpf {
namespace {

TEST(LogTailTest, LogTailKeepsTheEndAtALineBoundary) {
  EXPECT_EQ(LogTail("a\nb\nc\n"), "a | b | c");
  EXPECT_EQ(LogTail("first line\nsecond\nthird", 12), "...second | third");
}

}  // namespace
}  // namespace o2c::bpf
