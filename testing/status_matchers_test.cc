#include "testing/status_matchers.h"

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace o2c::testing {
namespace {

using ::testing::Ge;
using ::testing::HasSubstr;
using ::testing::Not;

// What `matcher` says when it refuses `value`.
template <typename Matcher, typename T>
std::string Explain(const Matcher& matcher, const T& value) {
  ::testing::StringMatchResultListener listener;
  EXPECT_FALSE(::testing::ExplainMatchResult(matcher, value, &listener));
  return listener.str();
}

TEST(IsOkAndHoldsTest, MatchesAnOkValueByMatcherOrByValue) {
  absl::StatusOr<int> seven = 7;
  EXPECT_THAT(seven, IsOkAndHolds(7));
  EXPECT_THAT(seven, IsOkAndHolds(Ge(5)));
  EXPECT_THAT(absl::StatusOr<std::string>("prog 'x'"), IsOkAndHolds(HasSubstr("'x'")));
}

TEST(IsOkAndHoldsTest, RefusesAnErrorAndNamesItsStatus) {
  absl::StatusOr<int> missing = absl::NotFoundError("kallsyms: no _stext");
  EXPECT_THAT(missing, Not(IsOkAndHolds(7)));
  EXPECT_THAT(Explain(IsOkAndHolds(7), missing), HasSubstr("NOT_FOUND: kallsyms: no _stext"));
}

TEST(IsOkAndHoldsTest, RefusesAnotherValueAndPrintsIt) {
  absl::StatusOr<int> three = 3;
  EXPECT_THAT(three, Not(IsOkAndHolds(Ge(5))));
  EXPECT_THAT(Explain(IsOkAndHolds(Ge(5)), three), HasSubstr("whose value is 3"));
}

}  // namespace
}  // namespace o2c::testing
