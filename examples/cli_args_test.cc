#include "examples/cli_args.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace o2c::cli {
namespace {

using ::o2c::testing::StatusIs;
using ::testing::HasSubstr;

const CommandHelp kTrainHelp = {
    .name = "train",
    .summary = "train",
    .description = "Trains.",
    .flags = {{"data", "FILE", "the dataset", true},
              {"out", "FILE", "the model"},
              {"max-depth", "D", "depth"},
              {"min-leaf", "N", "leaf"},
              {"seed", "S", "seed"},
              {"json", "", "JSON"},
              {"png", "FILE", "picture"}},
    .example = "o2c train --data d.csv",
};

TEST(ArgsTest, ReadsValuesSwitchesAndPositionals) {
  const char* argv[] = {"train", "--data", "d.csv", "--max-depth=7", "--json", "extra"};
  Args args(6, const_cast<char**>(argv), kTrainHelp);
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
  Args args(7, const_cast<char**>(argv), kTrainHelp);
  EXPECT_THAT(args.Require("out"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--out is required")));
  EXPECT_THAT(args.GetInt("seed", 0),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--seed 'x' is not an integer")));
  args.Get("data");
  EXPECT_THAT(args.Finish(), StatusIs(absl::StatusCode::kInvalidArgument,
                                      HasSubstr("unknown flag(s) --max-dept (did you mean "
                                                "--max-depth?); see o2c train --help")));
}

TEST(ArgsTest, AFlagReadButNotDescribedIsTheCommandsBug) {
  const char* argv[] = {"train", "--data", "d.csv"};
  Args args(3, const_cast<char**>(argv), kTrainHelp);
  args.Get("data");
  args.Has("secret");
  EXPECT_THAT(args.Finish(), StatusIs(absl::StatusCode::kInternal,
                                      HasSubstr("reads --secret but its --help does not")));
}

TEST(FormatHelpTest, UsageFlagsAndExample) {
  std::string help = FormatHelp(kTrainHelp);
  EXPECT_THAT(help, HasSubstr("usage: o2c train --data FILE [--out FILE] [--max-depth D]"));
  EXPECT_THAT(help, HasSubstr("\n  --data FILE                   (required) the dataset\n"));
  EXPECT_THAT(help, HasSubstr("\n  --json                        JSON\n"));
  EXPECT_THAT(help, HasSubstr("example:\n  o2c train --data d.csv\n"));
}

TEST(WantsHelpTest, DashDashHelpOrDashHAnywhere) {
  const char* with[] = {"attach", "--policy", "p", "-h"};
  const char* without[] = {"attach", "--policy", "--help-me"};
  EXPECT_TRUE(WantsHelp(4, const_cast<char**>(with)));
  EXPECT_FALSE(WantsHelp(3, const_cast<char**>(without)));
}

}  // namespace
}  // namespace o2c::cli
