#include "o2c/policy.h"

#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace o2c {
namespace {

using ::o2c::testing::IsOk;
using ::o2c::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::ElementsAre;
using ::testing::SizeIs;

constexpr char kDir[] = "testdata/policies/";

std::string Path(const std::string& file) { return kDir + file; }

bool SameSpec(const Policy& a, const Policy& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a.spec(), b.spec());
}

TEST(PolicyTest, ReadsThePipePolicy) {
  auto policy = Policy::FromFile(Path("pipe.policy"));
  ASSERT_THAT(policy, IsOk());
  EXPECT_EQ(policy->name(), "pipe");
  ASSERT_FALSE(policy->functions().empty());
  EXPECT_THAT(policy->functions()[0].alternatives, ElementsAre("alloc_pipe_info"));
  // Empty sites {}: the built-in slab families.
  EXPECT_THAT(policy->allocators(), SizeIs(::testing::Gt(5u)));
  EXPECT_THAT(policy->actions(), ElementsAre(policy::AUDIT, policy::KILL));
  EXPECT_FALSE(policy->model_path().has_value());
  EXPECT_EQ(policy->access().Get(policy::COMPARTMENT, policy::KERNEL_HEAP, policy::FREE),
            policy::Decision::kDeny);
}

TEST(PolicyTest, ReadsTheModulePolicy) {
  auto policy = Policy::FromFile(Path("vulnmod.policy"));
  ASSERT_THAT(policy, IsOk());
  EXPECT_EQ(policy->spec().compartment().module(), "vulnmod");
  EXPECT_THAT(policy->frees(), SizeIs(1));
  EXPECT_THAT(policy->actions(),
              ElementsAre(policy::AUDIT, policy::KILL, policy::QUARANTINE));
}

TEST(PolicyTest, DefaultsWhenSilent) {
  auto policy = Policy::FromText("compartment { pattern: \"pipe_*\" }");
  ASSERT_THAT(policy, IsOk());
  EXPECT_THAT(policy->actions(), ElementsAre(policy::AUDIT));
  EXPECT_EQ(policy->spec().limits().max_tracked_objects(), 65536u);
  EXPECT_EQ(policy->spec().transition().threshold(), 0.5);
  EXPECT_EQ(policy->own_threshold(), 0.5);
  EXPECT_FALSE(policy->own_threshold_set());
  EXPECT_THAT(policy->UnenforcedRules(), ::testing::IsEmpty());
  EXPECT_EQ(policy->name(), "<policy>");
}

TEST(PolicyTest, TextRoundTrips) {
  auto policy = Policy::FromFile(Path("vulnmod.policy"));
  ASSERT_THAT(policy, IsOk());
  auto again = Policy::FromText(policy->ToText());
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(SameSpec(*policy, *again)) << policy->ToText();
}

TEST(PolicyTest, JsonRoundTrips) {
  auto policy = Policy::FromFile(Path("pipe.policy"));
  ASSERT_THAT(policy, IsOk());
  auto json = policy->ToJson();
  ASSERT_THAT(json, IsOk());
  EXPECT_THAT(*json, HasSubstr("\"max_tracked_objects\": 65536"));
  EXPECT_THAT(*json, HasSubstr("\"KILL\""));
  auto again = Policy::FromJson(*json);
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(SameSpec(*policy, *again)) << *json;
}

TEST(PolicyTest, BadJsonNamesTheSource) {
  EXPECT_THAT(Policy::FromJson("{\"compartment\": 3}", "p.json"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("p.json: ")));
}

TEST(PolicyTest, MissingFile) {
  EXPECT_THAT(Policy::FromFile(Path("no_such.policy")),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("no_such.policy: cannot open the policy file")));
}

TEST(PolicyTest, ModelPathIsRelativeToThePolicyFile) {
  auto policy = Policy::FromText(
      "compartment { function: \"f\" } transition { model: \"pipe.policy\" }",
      "inline.policy", "testdata/policies");
  ASSERT_THAT(policy, IsOk());
  EXPECT_THAT(policy->model_path(), ::testing::Optional(Path("pipe.policy")));
  auto absolute = Policy::FromText(
      "compartment { function: \"f\" } transition { model: \"/proc/self/exe\" }",
      "inline.policy", "testdata/policies");
  ASSERT_THAT(absolute, IsOk());
  EXPECT_THAT(absolute->model_path(), ::testing::Optional(std::string("/proc/self/exe")));
}

TEST(PolicyTest, ExplicitThresholdIsExposed) {
  auto policy = Policy::FromFile(Path("vulnmod.policy"));
  ASSERT_THAT(policy, IsOk());
  EXPECT_EQ(policy->own_threshold(), 0.7);
  EXPECT_TRUE(policy->own_threshold_set());
  // Written, even if equal to the default: the policy asked for it.
  auto half = Policy::FromText("compartment { function: \"f\" } transition { threshold: 0.5 }");
  ASSERT_THAT(half, IsOk());
  EXPECT_EQ(half->own_threshold(), 0.5);
  EXPECT_TRUE(half->own_threshold_set());
}

TEST(PolicyTest, UnenforcedRulesNameWhereTheyWereWritten) {
  auto pipe = Policy::FromFile(Path("pipe.policy"));
  ASSERT_THAT(pipe, IsOk());
  // Its FREE rights are the defaults; its READ and WRITE rights are not checked.
  EXPECT_THAT(pipe->UnenforcedRules(),
              ElementsAre("testdata/policies/pipe.policy:40:3: access.rule[0]: COMPARTMENT on "
                          "KERNEL_HEAP: READ, WRITE not enforced (only FREE rights are, "
                          "through the private heap)",
                          "testdata/policies/pipe.policy:41:3: access.rule[1]: COMPARTMENT on "
                          "COMPARTMENT_HEAP: READ, WRITE not enforced (only FREE rights are, "
                          "through the private heap)"));
  auto vulnmod = Policy::FromFile(Path("vulnmod.policy"));
  ASSERT_THAT(vulnmod, IsOk());
  EXPECT_THAT(vulnmod->UnenforcedRules(),
              ElementsAre("testdata/policies/vulnmod.policy:19:3: interface.function[0]: calls "
                          "of 'copy_from_user | _copy_from_user' are not checked, nor that "
                          "argument 0 points to compartment memory",
                          "testdata/policies/vulnmod.policy:20:3: interface.function[1]: calls "
                          "of 'kfree' are not checked, nor that argument 0 points to "
                          "compartment memory"));
}

TEST(PolicyTest, FreeRulesAreUnenforcedOnlyWhenTheyChangeADefault) {
  auto policy = Policy::FromText(
      "compartment { function: \"f\" }\n"
      "access {\n"
      "  rule { subject: COMPARTMENT object: COMPARTMENT_HEAP allow: [FREE] }\n"
      "  rule { subject: KERNEL object: COMPARTMENT_HEAP deny: [FREE] }\n"
      "  rule { subject: COMPARTMENT object: KERNEL_DATA allow: [FREE, EXECUTE] }\n"
      "}\n"
      "interface { function { function: \"g\" } }\n",
      "inline.policy");
  ASSERT_THAT(policy, IsOk());
  EXPECT_THAT(policy->UnenforcedRules(),
              ElementsAre("inline.policy:4:3: access.rule[1]: KERNEL on COMPARTMENT_HEAP: "
                          "denies FREE against the default, not enforced (the enforcer "
                          "applies the default FREE rights)",
                          "inline.policy:5:3: access.rule[2]: COMPARTMENT on KERNEL_DATA: "
                          "EXECUTE not enforced (only FREE rights are, through the private "
                          "heap); allows FREE against the default, not enforced (the "
                          "enforcer applies the default FREE rights)",
                          "inline.policy:7:13: interface.function[0]: calls of 'g' are not "
                          "checked"));
}

TEST(PolicyTest, UnenforcedRulesOfAJsonPolicyHaveNoLine) {
  auto policy = Policy::FromJson(
      R"({"compartment": {"function": ["f"]},
          "interface": {"function": [{"function": "g", "owned_arg": [0, 2]}]}})");
  ASSERT_THAT(policy, IsOk());
  EXPECT_THAT(policy->UnenforcedRules(),
              ElementsAre("<json policy>: interface.function[0]: calls of 'g' are not checked, "
                          "nor that arguments 0, 2 point to compartment memory"));
}

// One bad file per error; each message names the place and the mistake.
struct BadCase {
  const char* file;
  absl::StatusCode code;
  const char* message;
};

class BadPolicyTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadPolicyTest, FailsWithItsOwnError) {
  const BadCase& c = GetParam();
  EXPECT_THAT(Policy::FromFile(Path(c.file)), StatusIs(c.code, HasSubstr(c.message)));
}

INSTANTIATE_TEST_SUITE_P(
    Files, BadPolicyTest,
    ::testing::Values(
        BadCase{"bad_unknown_field.policy", absl::StatusCode::kInvalidArgument,
                "bad_unknown_field.policy:4:3: unknown field 'acton' in ViolationSpec, "
                "did you mean 'action'?"},
        BadCase{"bad_unknown_enum.policy", absl::StatusCode::kInvalidArgument,
                "bad_unknown_enum.policy:2:22: unknown value 'AUDT' for field "
                "'action', did you mean 'AUDIT'?"},
        BadCase{"bad_syntax.policy", absl::StatusCode::kInvalidArgument,
                "bad_syntax.policy:3:1: "},
        BadCase{"bad_empty_compartment.policy", absl::StatusCode::kInvalidArgument,
                "bad_empty_compartment.policy:2:1: compartment: empty compartment"},
        BadCase{"bad_allow_and_deny.policy", absl::StatusCode::kInvalidArgument,
                "bad_allow_and_deny.policy:4:51: access.rule[1].deny[1]: right READ of "
                "COMPARTMENT on KERNEL_HEAP is both allowed "
                "(testdata/policies/bad_allow_and_deny.policy:3:51: "
                "access.rule[0].allow[0]) and denied"},
        BadCase{"bad_threshold.policy", absl::StatusCode::kInvalidArgument,
                "bad_threshold.policy:3:3: transition.threshold: threshold 1.5 is "
                "outside [0, 1]"},
        BadCase{"bad_zero_limit.policy", absl::StatusCode::kInvalidArgument,
                "bad_zero_limit.policy:3:3: limits.max_tracked_objects: a limit of 0"},
        BadCase{"bad_missing_model.policy", absl::StatusCode::kNotFound,
                "bad_missing_model.policy:3:3: transition.model: model file "
                "'testdata/policies/no_such_model.o2cmodel' does not exist"},
        BadCase{"bad_function_entry.policy", absl::StatusCode::kInvalidArgument,
                "bad_function_entry.policy:3:3: compartment.function[1]: "
                "'anon_pipe_write || pipe_write': empty alternative"}),
    [](const ::testing::TestParamInfo<BadCase>& info) {
      std::string name = info.param.file;
      name = name.substr(4, name.find('.') - 4);  // bad_<name>.policy
      return name;
    });

// Errors without a file of their own: built in code, so no line numbers.
TEST(PolicyValidationTest, MoreSemanticErrors) {
  auto with = [](const std::string& text) { return Policy::FromText(text, "t.policy"); };
  EXPECT_THAT(with("compartment { range { start: 0x2000 end: 0x1000 } }"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("t.policy:1:15: compartment.range[0]: empty address "
                                 "range [0x2000, 0x1000)")));
  EXPECT_THAT(with("compartment { pattern: \"pipe/*\" }"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("'pipe/*' is not a symbol pattern")));
  EXPECT_THAT(with("compartment { module: \"a | b\" }"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("compartment.module: 'a | b' is not a module name")));
  EXPECT_THAT(with("compartment { function: \"f\" } access { rule { object: KERNEL_HEAP } }"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("rule without a subject")));
  EXPECT_THAT(with("compartment { function: \"f\" } access { rule { subject: KERNEL } }"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("rule without an object")));
  EXPECT_THAT(
      with("compartment { function: \"f\" }\naccess { rule { subject: KERNEL object: "
           "KERNEL_HEAP allow: [READ] deny: [READ] } }"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("t.policy:2:67: access.rule[0].deny[0]: right READ of KERNEL on "
                         "KERNEL_HEAP is both allowed")));
  EXPECT_THAT(with("compartment { function: \"f\" } transition { threshold: -0.1 }"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("threshold -0.1 is outside [0, 1]")));
  EXPECT_THAT(with("compartment { function: \"f\" } transition { final_phase: TIME_LIMIT }"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("TIME_LIMIT needs time_limit_seconds > 0")));
  EXPECT_THAT(with("compartment { function: \"f\" } limits { ring_buffer_bytes: 0 }"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("limits.ring_buffer_bytes: a limit of 0 ring buffer bytes")));
  EXPECT_THAT(with("compartment { function: \"f\" } limits { ring_buffer_bytes: 5000 }"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("a power of two of at least 4096")));
  EXPECT_THAT(with("compartment { function: \"f\" } violation { action: ACTION_UNSPECIFIED }"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("violation.action[0]: ACTION_UNSPECIFIED is not an action")));
  EXPECT_THAT(with("compartment { function: \"f\" } interface { function { owned_arg: 0 } }"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("interface entry without a function")));
  EXPECT_THAT(with("compartment { function: \"f\" } interface { function { function: \"g\" "
                   "owned_arg: 6 } }"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("interface.function[0].owned_arg[0]: argument 6 is not "
                                 "passed in a register")));
}

TEST(PolicyValidationTest, SpecsBuiltInCodeAreValidatedToo) {
  policy::PolicySpec spec;
  EXPECT_THAT(Policy::FromSpec(spec, "code"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("code: compartment: empty compartment")));
}

}  // namespace
}  // namespace o2c
