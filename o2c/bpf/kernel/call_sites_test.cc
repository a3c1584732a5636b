#include "o2c/bpf/kernel/call_sites.h"

#include "gtest/gtest.h"

namespace o2c::bpf {
namespace {

constexpr uint64_t kBase = 0xffffffff81000000;

// Hand-assembled x86-64, as kernel functions look.
const uint8_t kCode[] = {
    0x0f, 0x1f, 0x44, 0x00, 0x00,        // +0x00 nopl (the ftrace nop)
    0x55,                                // +0x05 push %rbp
    0xe8, 0xf5, 0x0f, 0x00, 0x00,        // +0x06 call kBase+0x1000
    0x74, 0x02,                          // +0x0b je +0x0f (inside)
    0xff, 0xd0,                          // +0x0d call *%rax
    0x5d,                                // +0x0f pop %rbp
    0xe9, 0xeb, 0x1f, 0x00, 0x00,        // +0x10 jmp kBase+0x2000 (tail call)
    0xcc,                                // +0x15 int3
};

TEST(FindCallsTest, DirectCallsTailJumpsAndIndirectCalls) {
  DecodedCalls found = FindCalls(kCode, sizeof(kCode), kBase);
  ASSERT_EQ(found.calls.size(), 2u);
  EXPECT_EQ(found.calls[0].address, kBase + 0x06);
  EXPECT_EQ(found.calls[0].return_address, kBase + 0x0b);
  EXPECT_EQ(found.calls[0].target, kBase + 0x1000);
  EXPECT_FALSE(found.calls[0].tail);
  EXPECT_EQ(found.calls[1].address, kBase + 0x10);
  EXPECT_EQ(found.calls[1].target, kBase + 0x2000);
  EXPECT_TRUE(found.calls[1].tail);
  ASSERT_EQ(found.indirect_calls.size(), 1u);
  EXPECT_EQ(found.indirect_calls[0], kBase + 0x0d);
  EXPECT_EQ(found.undecodable_bytes, 0u);
}

TEST(FindCallsTest, SkipsBytesThatDoNotDecode) {
  const uint8_t code[] = {0x0f, 0xff, 0xe8, 0x00, 0x00, 0x00, 0x00, 0xe8};  // ud0, call, a call opcode cut off
  DecodedCalls found = FindCalls(code, sizeof(code), kBase);
  EXPECT_GT(found.undecodable_bytes, 0u);
}

TEST(ScanForCallsTest, FindsCallBytesIntoTheTargetWindowsOnly) {
  // The call at +0x06 targets kBase+0x1000; the jmp at +0x10 is no call.
  std::vector<CallInstruction> found = ScanForCalls(kCode, sizeof(kCode), kBase,
                                                    {{kBase + 0x0ff0, kBase + 0x1001}});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].address, kBase + 0x06);
  EXPECT_EQ(found[0].return_address, kBase + 0x0b);
  EXPECT_EQ(found[0].target, kBase + 0x1000);
  EXPECT_TRUE(ScanForCalls(kCode, sizeof(kCode), kBase, {{kBase + 0x1001, kBase + 0x3000}})
                  .empty());
  // A call opcode whose displacement runs past the end is not read.
  EXPECT_TRUE(ScanForCalls(kCode, 9, kBase, {{0, ~0ull}}).empty());
}

}  // namespace
}  // namespace o2c::bpf
