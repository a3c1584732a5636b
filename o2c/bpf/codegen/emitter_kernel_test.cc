// Kernel tier: emitted programs against the real verifier, as a table in the
// style of the kernel's verifier selftests: instructions, then ACCEPT with
// the value the program returns under BPF_PROG_TEST_RUN, or REJECT with the
// verifier's message. One test case per row, named after it.
#include <bpf/bpf.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "o2c/bpf/codegen/disassembler.h"
#include "o2c/bpf/codegen/emitter.h"
#include "o2c/bpf/loader/program_loader.h"
#include "testing/kernel_test.h"
#include "testing/status_matchers.h"

namespace o2c::bpf {
namespace {

using namespace insn;  // NOLINT
using ::o2c::testing::IsOkAndHolds;
using ::o2c::testing::StatusIs;
using ::testing::HasSubstr;

// What the kernel does with a row's program.
struct Verdict {
  const char* reject = nullptr;  // nullptr: ACCEPT; else a substring of the refusal
  absl::StatusCode code = absl::StatusCode::kOk;
  uint32_t retval = 0;  // ACCEPT: what one BPF_PROG_TEST_RUN returns
};

Verdict Accept(uint32_t retval) { return Verdict{nullptr, absl::StatusCode::kOk, retval}; }
// The verifier refuses with EACCES unless told otherwise.
Verdict Reject(const char* message,
               absl::StatusCode code = absl::StatusCode::kPermissionDenied) {
  return Verdict{message, code, 0};
}

struct VerifierCase {
  const char* name;
  bpf_prog_type type;
  std::function<void(Emitter&)> emit;
  Verdict verdict;
  std::vector<int> map_fds = {};
};

// The syscall rows' context: big enough for the offsets they use.
constexpr size_t kSyscallCtxBytes = 8208;
constexpr uint32_t kSyscallCtxValue = 0x5eed;  // at offset 8184, copied to 8200

std::vector<VerifierCase> VerifierTable() {
  return {
      {"ret_zero", BPF_PROG_TYPE_SOCKET_FILTER,
       [](Emitter& e) { e.Emit(Mov64Imm(R0, 0)); e.Emit(Exit()); }, Accept(0)},
      {"ret_unset", BPF_PROG_TYPE_SOCKET_FILTER, [](Emitter& e) { e.Emit(Exit()); },
       Reject("R0 !read_ok")},
      {"read_unset_reg", BPF_PROG_TYPE_SOCKET_FILTER,
       [](Emitter& e) {
         Label l = e.NewLabel();
         e.Emit(Mov64Imm(R0, 0));
         e.JumpImm(BPF_JSGT, R3, 1, l);
         e.Bind(l);
         e.Emit(Exit());
       },
       Reject("R3 !read_ok")},
      {"wide_compare", BPF_PROG_TYPE_SOCKET_FILTER,
       [](Emitter& e) {
         Label l = e.NewLabel();
         e.Emit(Mov64Imm(R0, 0));
         e.Emit(Mov64Imm(R3, -5));
         e.LdImm64(R4, 0x8000000000000000ull);
         e.JumpReg(BPF_JSLE, R3, R4, l);  // -5 <= INT64_MIN is false: r0 = 1
         e.Emit(Mov64Imm(R0, 1));
         e.Bind(l);
         e.Emit(Exit());
       },
       Accept(1)},
      {"unreachable", BPF_PROG_TYPE_SOCKET_FILTER,
       [](Emitter& e) {
         e.Emit(Mov64Imm(R0, 0));
         e.Emit(Exit());
         e.Emit(Mov64Imm(R0, 1));
         e.Emit(Exit());
       },
       Reject("unreachable insn 2", absl::StatusCode::kInvalidArgument)},
      {"self_loop", BPF_PROG_TYPE_SOCKET_FILTER,
       [](Emitter& e) {
         Label l = e.NewLabel();
         e.Emit(Mov64Imm(R0, 0));
         e.Bind(l);
         e.JumpImm(BPF_JEQ, R0, 0, l);
         e.Emit(Exit());
       },
       Reject("infinite loop detected", absl::StatusCode::kInvalidArgument)},
      {"scalar_deref", BPF_PROG_TYPE_SOCKET_FILTER,
       [](Emitter& e) {
         e.Emit(Mov64Imm(R1, 0));
         e.Emit(LdxMem(BPF_DW, R0, R1, 0));
         e.Emit(Exit());
       },
       Reject("R1 invalid mem access 'scalar'")},
      {"syscall_ctx_verdict", BPF_PROG_TYPE_SYSCALL,
       [](Emitter& e) {
         e.Emit(Mov64Imm(R0, 0));
         e.Emit(LdxMem(BPF_DW, R3, R1, 8184));
         e.Emit(StxMem(BPF_W, R1, R3, 8200));  // 6.1 refuses BPF_ST into this ctx
         e.Emit(Exit());
       },
       Accept(0)},
      {"syscall_ctx_misaligned", BPF_PROG_TYPE_SYSCALL,
       [](Emitter& e) {
         e.Emit(Mov64Imm(R0, 0));
         e.Emit(LdxMem(BPF_DW, R3, R1, 4));
         e.Emit(Exit());
       },
       Reject("invalid bpf_context access")},
      {"bad_map_fd", BPF_PROG_TYPE_SOCKET_FILTER,
       [](Emitter& e) {
         e.LdMap(R1, 0);
         e.Emit(Mov64Imm(R0, 0));
         e.Emit(Exit());
       },
       Reject("fd 9999 is not pointing to valid bpf_map", absl::StatusCode::kFailedPrecondition),
       {9999}},
      {"subprog_call", BPF_PROG_TYPE_SOCKET_FILTER,
       [](Emitter& e) {
         Label sub = e.NewLabel();
         e.CallSubprog(sub);
         e.Emit(Exit());
         e.Bind(sub);
         e.Emit(Mov64Imm(R0, 3));
         e.Emit(Exit());
       },
       Accept(3)},
  };
}

// One BPF_PROG_TEST_RUN of `fd`: a zeroed packet for a socket filter, the
// syscall context (checked afterwards) for a syscall program.
absl::StatusOr<uint32_t> TestRun(int fd, bpf_prog_type type) {
  std::vector<uint8_t> packet(64);
  std::vector<uint8_t> ctx(kSyscallCtxBytes);
  std::memcpy(&ctx[8184], &kSyscallCtxValue, sizeof(kSyscallCtxValue));
  LIBBPF_OPTS(bpf_test_run_opts, run);
  if (type == BPF_PROG_TYPE_SYSCALL) {
    run.ctx_in = ctx.data();
    run.ctx_size_in = static_cast<uint32_t>(ctx.size());
  } else {
    run.data_in = packet.data();
    run.data_size_in = static_cast<uint32_t>(packet.size());
  }
  if (bpf_prog_test_run_opts(fd, &run) != 0) {
    return absl::ErrnoToStatus(errno, "BPF_PROG_TEST_RUN");
  }
  if (type == BPF_PROG_TYPE_SYSCALL) {
    uint32_t copied = 0;
    std::memcpy(&copied, &ctx[8200], sizeof(copied));
    if (copied != kSyscallCtxValue) {
      return absl::InternalError(absl::StrCat("ctx[8200] is ", copied, " after the run"));
    }
  }
  return run.retval;
}

class EmitterVerifierTest : public ::testing::TestWithParam<VerifierCase> {};

TEST_P(EmitterVerifierTest, VerdictAndReturnValue) {
  O2C_REQUIRE_KERNEL();
  const VerifierCase& c = GetParam();
  Emitter e(c.name);
  c.emit(e);
  auto program = e.Finish();
  ASSERT_TRUE(program.ok()) << c.name << ": " << program.status();
  auto insns = program->WithMapFds(c.map_fds);
  ASSERT_TRUE(insns.ok()) << insns.status();
  RawProgram raw{.name = c.name, .type = c.type, .insns = *insns};
  if (c.type == BPF_PROG_TYPE_SYSCALL) raw.prog_flags = BPF_F_SLEEPABLE;
  auto fd = LoadRawProgram(raw);
  std::string listing = Disassemble(*insns);
  if (c.verdict.reject == nullptr) {
    ASSERT_TRUE(fd.ok()) << c.name << ": " << fd.status() << "\n" << listing;
    EXPECT_THAT(TestRun(fd->get(), c.type), IsOkAndHolds(c.verdict.retval)) << listing;
  } else {
    EXPECT_THAT(fd, StatusIs(c.verdict.code, HasSubstr(c.verdict.reject))) << listing;
    EXPECT_THAT(fd, StatusIs(c.verdict.code,
                             HasSubstr(absl::StrCat("prog '", c.name, "': load: "))));
  }
}

INSTANTIATE_TEST_SUITE_P(Rows, EmitterVerifierTest, ::testing::ValuesIn(VerifierTable()),
                         [](const ::testing::TestParamInfo<VerifierCase>& row) {
                           return std::string(row.param.name);
                         });

}  // namespace
}  // namespace o2c::bpf
