// Kernel tier: emitted programs against the real verifier, as a table in the
// style of the kernel's verifier selftests: instructions, ACCEPT or REJECT,
// and the verifier's message for a refusal.
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
using ::o2c::testing::StatusIs;
using ::testing::HasSubstr;

struct VerifierCase {
  const char* name;
  bpf_prog_type type;
  std::function<void(Emitter&)> emit;
  const char* reject;  // nullptr: ACCEPT; else a substring of the refusal
  absl::StatusCode code = absl::StatusCode::kPermissionDenied;  // EACCES
  std::vector<int> map_fds = {};
};

TEST(EmitterKernelTest, VerifierTable) {
  O2C_REQUIRE_KERNEL();
  const std::vector<VerifierCase> cases = {
      {"ret_zero", BPF_PROG_TYPE_SOCKET_FILTER,
       [](Emitter& e) { e.Emit(Mov64Imm(R0, 0)); e.Emit(Exit()); }, nullptr},
      {"ret_unset", BPF_PROG_TYPE_SOCKET_FILTER, [](Emitter& e) { e.Emit(Exit()); },
       "R0 !read_ok"},
      {"read_unset_reg", BPF_PROG_TYPE_SOCKET_FILTER,
       [](Emitter& e) {
         Label l = e.NewLabel();
         e.Emit(Mov64Imm(R0, 0));
         e.JumpImm(BPF_JSGT, R3, 1, l);
         e.Bind(l);
         e.Emit(Exit());
       },
       "R3 !read_ok"},
      {"wide_compare", BPF_PROG_TYPE_SOCKET_FILTER,
       [](Emitter& e) {
         Label l = e.NewLabel();
         e.Emit(Mov64Imm(R0, 0));
         e.Emit(Mov64Imm(R3, -5));
         e.LdImm64(R4, 0x8000000000000000ull);
         e.JumpReg(BPF_JSLE, R3, R4, l);
         e.Emit(Mov64Imm(R0, 1));
         e.Bind(l);
         e.Emit(Exit());
       },
       nullptr},
      {"unreachable", BPF_PROG_TYPE_SOCKET_FILTER,
       [](Emitter& e) {
         e.Emit(Mov64Imm(R0, 0));
         e.Emit(Exit());
         e.Emit(Mov64Imm(R0, 1));
         e.Emit(Exit());
       },
       "unreachable insn 2", absl::StatusCode::kInvalidArgument},
      {"self_loop", BPF_PROG_TYPE_SOCKET_FILTER,
       [](Emitter& e) {
         Label l = e.NewLabel();
         e.Emit(Mov64Imm(R0, 0));
         e.Bind(l);
         e.JumpImm(BPF_JEQ, R0, 0, l);
         e.Emit(Exit());
       },
       "infinite loop detected", absl::StatusCode::kInvalidArgument},
      {"scalar_deref", BPF_PROG_TYPE_SOCKET_FILTER,
       [](Emitter& e) {
         e.Emit(Mov64Imm(R1, 0));
         e.Emit(LdxMem(BPF_DW, R0, R1, 0));
         e.Emit(Exit());
       },
       "R1 invalid mem access 'scalar'"},
      {"syscall_ctx_verdict", BPF_PROG_TYPE_SYSCALL,
       [](Emitter& e) {
         e.Emit(Mov64Imm(R0, 0));
         e.Emit(LdxMem(BPF_DW, R3, R1, 8184));
         e.Emit(StxMem(BPF_W, R1, R3, 8200));  // 6.1 refuses BPF_ST into this ctx
         e.Emit(Exit());
       },
       nullptr},
      {"syscall_ctx_misaligned", BPF_PROG_TYPE_SYSCALL,
       [](Emitter& e) {
         e.Emit(Mov64Imm(R0, 0));
         e.Emit(LdxMem(BPF_DW, R3, R1, 4));
         e.Emit(Exit());
       },
       "invalid bpf_context access"},
      {"bad_map_fd", BPF_PROG_TYPE_SOCKET_FILTER,
       [](Emitter& e) {
         e.LdMap(R1, 0);
         e.Emit(Mov64Imm(R0, 0));
         e.Emit(Exit());
       },
       "fd 9999 is not pointing to valid bpf_map", absl::StatusCode::kFailedPrecondition,
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
       nullptr},
  };
  for (const VerifierCase& c : cases) {
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
    if (c.reject == nullptr) {
      EXPECT_TRUE(fd.ok()) << c.name << ": " << fd.status() << "\n" << listing;
    } else {
      EXPECT_THAT(fd, StatusIs(c.code, HasSubstr(c.reject))) << c.name << "\n" << listing;
      EXPECT_THAT(fd, StatusIs(c.code, HasSubstr(absl::StrCat("prog '", c.name, "': load: "))));
    }
  }
}

}  // namespace
}  // namespace o2c::bpf
