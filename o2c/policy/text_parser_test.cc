#include "o2c/policy/text_parser.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace o2c::policy {
namespace {

using ::o2c::testing::StatusIs;
using ::testing::HasSubstr;

TEST(TextParserTest, ParsesAndRecordsLocations) {
  auto parsed = ParsePolicyText("name: \"p\"\ncompartment {\n  function: \"f\"\n}\n", "p.policy");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->spec.compartment().function(0), "f");
  const auto* compartment = PolicySpec::descriptor()->FindFieldByName("compartment");
  auto location = parsed->locations->GetLocation(compartment, -1);
  EXPECT_EQ(location.line, 1);
}

TEST(TextParserTest, UnknownFieldSuggestsTheNearestField) {
  EXPECT_THAT(ParsePolicyText("violation {\n  acton: AUDIT\n}\n", "pipe.policy"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("pipe.policy:2:3: unknown field 'acton' in ViolationSpec, "
                                 "did you mean 'action'?")));
}

TEST(TextParserTest, UnknownFieldWithNothingNear) {
  EXPECT_THAT(ParsePolicyText("xyzzy: 1\n", "p.policy"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("p.policy:1:1: unknown field 'xyzzy' in PolicySpec")));
}

TEST(TextParserTest, UnknownEnumValueSuggestsTheNearestValue) {
  EXPECT_THAT(ParsePolicyText("violation { action: [AUDIT, KIL] }", "p.policy"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("p.policy:1:29: unknown value 'KIL' for field 'action', "
                                 "did you mean 'KILL'?")));
}

TEST(TextParserTest, SyntaxErrorsCarryLineAndColumn) {
  EXPECT_THAT(ParsePolicyText("compartment {\n  function: \"f\"\n", "p.policy"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("p.policy:3:1: ")));
}

TEST(TextParserTest, ExplainLeavesOtherMessagesAlone) {
  EXPECT_EQ(ExplainParseError("Expected \"}\"."), "Expected \"}\".");
}

}  // namespace
}  // namespace o2c::policy
