#include "examples/cli_args.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace o2c::cli {
namespace {

using ::o2c::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ArgsTest, ReadsValuesSwitchesAndPositionals) {
  const char* argv[] = {"train", "--data", "d.csv", "--max-depth=7", "--json", "extra"};
  Args args(6, const_cast<char**>(argv));
  EXPECT_EQ(args.Get("data"), "d.csv");
  EXPECT_EQ(*args.GetInt("max-depth", 3), 7);
  EXPECT_EQ(*args.GetInt("min-leaf", 3), 3);
  EXPECT_TRUE(args.Has("json"));
  EXPECT_FALSE(args.Has("png"));
  EXPECT_EQ(args.positional(), std::vector<std::string>{"extra"});
  EXPECT_TRUE(args.Finish().ok());
}

TEST(ArgsTest, UnreadFlagsAndBadNumbersAreErrors) {
  const char* argv[] = {"train", "--data", "d.csv", "--max-dept", "7", "--seed", "x"};
  Args args(7, const_cast<char**>(argv));
  EXPECT_THAT(args.Require("out"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--out is required")));
  EXPECT_THAT(args.GetInt("seed", 0),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--seed 'x' is not an integer")));
  args.Get("data");
  EXPECT_THAT(args.Finish(), StatusIs(absl::StatusCode::kInvalidArgument,
                                      HasSubstr("unknown flag(s) --max-dept")));
}

}  // namespace
}  // namespace o2c::cli
