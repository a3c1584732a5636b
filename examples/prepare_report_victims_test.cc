// The victims section `o2c prepare` appends to report.md.
#include <cstdlib>
#include <string>

#include "examples/prepare_report.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "o2c/internal/file_util.h"
#include "testing/status_matchers.h"

namespace o2c::cli {
namespace {

using ::o2c::testing::IsOk;
using ::o2c::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;

victims::MissRates TwoTypes() {
  victims::MissRates rates;
  rates.types.push_back({"msg_msg", 80, 80, victims::WilsonInterval(80, 80)});
  rates.types.push_back({"cred", 25, 0, victims::WilsonInterval(0, 25)});
  rates.all = {"all victims", 105, 80, victims::WilsonInterval(80, 105)};
  rates.not_made = {"tty_struct"};
  return rates;
}

TEST(AppendVictimsToReportTest, TheSectionFollowsTheReport) {
  PrepareOptions options;
  options.out_dir = std::getenv("TEST_TMPDIR");
  const std::string path = options.out_dir + "/report.md";
  ASSERT_THAT(internal::WriteFileBytes(path, "# Preparation\n"), IsOk());
  auto appended = AppendVictimsToReport(options, TwoTypes());
  ASSERT_THAT(appended, IsOk());
  EXPECT_EQ(*appended, path);
  auto report = internal::ReadFileBytes(path);
  ASSERT_THAT(report, IsOk());
  EXPECT_THAT(*report, StartsWith("# Preparation\n\n## Victims\n"));
  EXPECT_THAT(*report, HasSubstr("| msg_msg | 80 | 80 | 1.0000 | [0.9542, 1.0000] |"));
  EXPECT_THAT(*report, HasSubstr("| cred | 25 | 0 | 0.0000 | [0.0000, 0.1332] |"));
  EXPECT_THAT(*report, HasSubstr("| **all victims** | 105 | 80 |"));
  EXPECT_THAT(*report, HasSubstr("Types the model lets through: msg_msg (1.0000)."));
  EXPECT_THAT(*report, HasSubstr("Not made by the workload: tty_struct."));
}

TEST(AppendVictimsToReportTest, NamesTheMissingReport) {
  PrepareOptions options;
  options.out_dir = std::string(std::getenv("TEST_TMPDIR")) + "/nowhere";
  EXPECT_THAT(AppendVictimsToReport(options, TwoTypes()),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("nowhere/report.md")));
}

}  // namespace
}  // namespace o2c::cli
