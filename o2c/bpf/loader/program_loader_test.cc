// Kernel tier: loading raw instructions, and what a refusal says.
#include "o2c/bpf/loader/program_loader.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"
#include "o2c/bpf/codegen/insn.h"
#include "testing/kernel_test.h"

namespace o2c::bpf {
namespace {

using namespace insn;  // NOLINT
using ::o2c::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

TEST(ProgramLoaderTest, LoadsAValidProgramAndReportsStats) {
  O2C_REQUIRE_KERNEL();
  RawProgram p{.name = "o2c_ok", .type = BPF_PROG_TYPE_SOCKET_FILTER,
               .insns = {Mov64Imm(R0, 0), Exit()}};
  LoadStats stats;
  auto fd = LoadRawProgram(p, &stats);
  ASSERT_TRUE(fd.ok()) << fd.status();
  EXPECT_TRUE(fd->valid());
  EXPECT_EQ(stats.insn_count, 2u);
  EXPECT_EQ(stats.verified_insns, 2u);
}

TEST(ProgramLoaderTest, RefusalNamesTheProgramAndQuotesTheVerifier) {
  O2C_REQUIRE_KERNEL();
  // Returns without setting r0: the verifier refuses "R0 !read_ok".
  RawProgram p{.name = "audition", .type = BPF_PROG_TYPE_SOCKET_FILTER,
               .insns = {Exit()}};
  auto fd = LoadRawProgram(p);
  // The verifier refuses with EACCES.
  EXPECT_THAT(fd, StatusIs(absl::StatusCode::kPermissionDenied,
                          AllOf(HasSubstr("prog 'audition': load: Permission denied"),
                                HasSubstr("(verifier log: "), HasSubstr("R0 !read_ok"))));
  EXPECT_EQ(StatusErrno(fd.status()), EACCES);
}

}  // namespace
}  // namespace o2c::bpf
