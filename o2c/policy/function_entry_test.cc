#include "o2c/policy/function_entry.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace o2c::policy {
namespace {

using ::o2c::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(FunctionEntryTest, SingleName) {
  auto entry = ParseFunctionEntry("alloc_pipe_info");
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_THAT(entry->alternatives, ElementsAre("alloc_pipe_info"));
  EXPECT_FALSE(entry->optional);
}

TEST(FunctionEntryTest, AlternativesInOrderAndOptional) {
  auto entry = ParseFunctionEntry("  anon_pipe_write |pipe_write ? ");
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_THAT(entry->alternatives, ElementsAre("anon_pipe_write", "pipe_write"));
  EXPECT_TRUE(entry->optional);
  EXPECT_EQ(entry->ToString(), "anon_pipe_write | pipe_write?");
}

TEST(FunctionEntryTest, AcceptsCompilerSuffixes) {
  EXPECT_TRUE(ParseFunctionEntry("vuln_write.cold").ok());
}

TEST(FunctionEntryTest, RejectsEmptyPieces) {
  EXPECT_THAT(ParseFunctionEntry(" ? "),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty function name")));
  EXPECT_THAT(ParseFunctionEntry("a || b"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty alternative")));
}

TEST(FunctionEntryTest, RejectsNonSymbols) {
  EXPECT_THAT(ParseFunctionEntry("pipe write"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("'pipe write' is not a symbol name")));
  EXPECT_THAT(ParseFunctionEntry("pipe_*"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a symbol name")));
}

}  // namespace
}  // namespace o2c::policy
