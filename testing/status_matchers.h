// gMock matchers for absl::Status and absl::StatusOr<T> (Debian's Abseil
// 20220623 ships none):
//
//   EXPECT_THAT(Parse(text), StatusIs(absl::StatusCode::kInvalidArgument,
//                                     HasSubstr("line 7: unknown field")));
//   ASSERT_THAT(Load(path), IsOk());
//   EXPECT_THAT(Count(path), IsOkAndHolds(Ge(3)));
#ifndef O2C_TESTING_STATUS_MATCHERS_H_
#define O2C_TESTING_STATUS_MATCHERS_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace o2c::testing {
namespace internal {

inline const absl::Status& GetStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

}  // namespace internal

// Matches a Status or StatusOr whose code is `code` and whose message (as a
// std::string) matches `message_matcher`.
MATCHER_P2(StatusIs, code, message_matcher,
           std::string("has code ") + absl::StatusCodeToString(code)) {
  const absl::Status& status = internal::GetStatus(arg);
  *result_listener << "whose status is " << status;
  return status.code() == code &&
         ::testing::Matches(message_matcher)(std::string(status.message()));
}

// Matches an OK Status or StatusOr.
MATCHER(IsOk, "is OK") {
  const absl::Status& status = internal::GetStatus(arg);
  *result_listener << "whose status is " << status;
  return status.ok();
}

// Matches an OK StatusOr<T> whose value matches `value_matcher` (a matcher
// or a plain value, compared with ==). On a mismatch it says why: the status
// of an error, else the value and the matcher's explanation.
MATCHER_P(IsOkAndHolds, value_matcher,
          negation ? "is not OK, or holds a value that does not match"
                   : "is OK and holds a matching value") {
  if (!arg.ok()) {
    *result_listener << "whose status is " << arg.status();
    return false;
  }
  *result_listener << "whose value is " << ::testing::PrintToString(*arg) << " ";
  return ::testing::ExplainMatchResult(value_matcher, *arg, result_listener);
}

}  // namespace o2c::testing

#endif  // O2C_TESTING_STATUS_MATCHERS_H_
