#include "o2c/bpf/kernel/kallsyms.h"

#include <unistd.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace o2c::bpf {
namespace {

using ::o2c::testing::IsOkAndHolds;
using ::o2c::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::Property;

constexpr char kTable[] =
    "ffffffff816c70d0 t anon_pipe_write\n"
    "ffffffff816c77a0 t fifo_pipe_write\n"
    "ffffffff816c7a70 T alloc_pipe_info\n"
    "ffffffff816c7cb0 T free_pipe_info\n"
    "ffffffff816c7cb0 T free_pipe_info_alias\n"
    "ffffffff816c7d70 t pipe_release\n"
    "ffffffff82000000 D pipe_max_size\n"
    "ffffffffc0001000 t vuln_write\t[vulnmod]\n"
    "ffffffff816c7000 t dup_name\n"
    "ffffffff816c7100 t dup_name\n";

TEST(KallsymsTest, ParsesAndSortsByAddress) {
  auto table = Kallsyms::FromText(kTable);
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->size(), 10u);
  EXPECT_EQ(table->symbols().front().name, "dup_name");
  EXPECT_EQ(table->symbols().back().name, "vuln_write");
  EXPECT_EQ(table->symbols().back().module, "vulnmod");
  EXPECT_EQ(table->Find("pipe_max_size")->type, 'D');
  EXPECT_FALSE(table->Find("pipe_max_size")->IsText());
  EXPECT_EQ(table->Find("nope"), nullptr);
}

TEST(KallsymsTest, FunctionRangeEndsAtNextHigherSymbol) {
  auto table = Kallsyms::FromText(kTable);
  ASSERT_TRUE(table.ok());
  auto range = table->FunctionRange("alloc_pipe_info");
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_EQ(range->start, 0xffffffff816c7a70u);
  EXPECT_EQ(range->size(), 0x240u);
  // An alias at the same address does not end the range at zero size.
  EXPECT_THAT(table->FunctionRange("free_pipe_info"),
              IsOkAndHolds(Property(&AddressRange::size, 0xc0u)));
}

TEST(KallsymsTest, FunctionRangeErrorsNameTheSymbol) {
  auto table = Kallsyms::FromText(kTable);
  ASSERT_TRUE(table.ok());
  EXPECT_THAT(table->FunctionRange("pipe_write"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("function 'pipe_write' is not in kallsyms; did you "
                                 "mean 'anon_pipe_write'?")));
  EXPECT_THAT(table->FunctionRange("pipe_max_size"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("'pipe_max_size' is not in kallsyms")));
  EXPECT_THAT(table->FunctionRange("dup_name"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("ambiguous: 2 functions")));
  EXPECT_EQ(table->FindAll("dup_name").size(), 2u);
}

TEST(KallsymsTest, SymbolizesAddresses) {
  auto table = Kallsyms::FromText(kTable);
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->Format(0xffffffff816c7a70), "alloc_pipe_info");
  EXPECT_EQ(table->Format(0xffffffff816c7a8a), "alloc_pipe_info+0x1a");
  EXPECT_EQ(table->Format(0x1000), "0x1000");
  EXPECT_THAT(table->Symbolize(0x1000),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("0x1000: below")));
}

TEST(KallsymsTest, SuggestsNearFunctionNames) {
  auto table = Kallsyms::FromText(kTable);
  ASSERT_TRUE(table.ok());
  EXPECT_THAT(table->SuggestFunctions("alloc_pipe_inf"), ElementsAre("alloc_pipe_info"));
  EXPECT_THAT(table->SuggestFunctions("pipe_write", 2),
              ElementsAre("anon_pipe_write", "fifo_pipe_write"));
  EXPECT_TRUE(table->SuggestFunctions("zzzzzzzzzzzz").empty());
}

TEST(KallsymsTest, KernelTextIsStextToEtext) {
  auto table = Kallsyms::FromText(
      "ffffffff81000000 T _stext\nffffffff81000100 t f\nffffffff82209988 T _etext\n");
  ASSERT_TRUE(table.ok());
  EXPECT_THAT(table->KernelText(),
              IsOkAndHolds(AllOf(Field(&AddressRange::start, 0xffffffff81000000u),
                                 Field(&AddressRange::end, 0xffffffff82209988u))));
  EXPECT_THAT(Kallsyms::FromText(kTable)->KernelText(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no _stext/_etext")));
}

TEST(KallsymsTest, ZeroedAddressesAreAnError) {
  auto table = Kallsyms::FromText(
      "0000000000000000 T _text\n0000000000000000 t alloc_pipe_info\n", "/proc/kallsyms");
  EXPECT_THAT(table, StatusIs(absl::StatusCode::kPermissionDenied,
                             HasSubstr("/proc/kallsyms: all 2 addresses read as 0: "
                                       "run as root")));
}

TEST(KallsymsTest, MalformedLineNamesFileAndLine) {
  auto table = Kallsyms::FromText("ffffffff81000000 T _text\nnot hex T x\n", "k.txt");
  EXPECT_THAT(table, StatusIs(absl::StatusCode::kInvalidArgument,
                             HasSubstr("k.txt:2: not a kallsyms line")));
  EXPECT_THAT(Kallsyms::FromFile("/nonexistent/kallsyms"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("/nonexistent/kallsyms: cannot open")));
}

}  // namespace
}  // namespace o2c::bpf
