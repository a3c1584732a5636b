// Unit tier: each instruction form prints as `bpftool prog dump xlated` does.
#include "o2c/bpf/codegen/disassembler.h"

#include <vector>

#include "gtest/gtest.h"
#include "o2c/bpf/codegen/insn.h"

namespace o2c::bpf {
namespace {

using namespace insn;  // NOLINT

struct Case {
  std::vector<bpf_insn> insns;
  const char* text;
};

TEST(DisassemblerTest, FormatTable) {
  const std::vector<Case> cases = {
      {{LdxMem(BPF_DW, R2, R1, 8)}, "(79) r2 = *(u64 *)(r1 +8)"},
      {{LdxMem(BPF_W, R3, R10, -4)}, "(61) r3 = *(u32 *)(r10 -4)"},
      {{JmpImm(BPF_JLE, R2, 0xc0, 5)}, "(b5) if r2 <= 0xc0 goto pc+5"},
      {{JmpImm(BPF_JSGT, R3, -1, -3)}, "(65) if r3 s> 0xffffffff goto pc-3"},
      {{JmpReg(BPF_JSLE, R3, R4, 2)}, "(dd) if r3 s<= r4 goto pc+2"},
      {{Mov64Imm(R0, -7)}, "(b7) r0 = -7"},
      {{Mov64Reg(R6, R1)}, "(bf) r6 = r1"},
      {{Alu64Imm(BPF_ADD, R1, 8)}, "(07) r1 += 8"},
      {{Alu64Reg(BPF_XOR, R1, R2)}, "(af) r1 ^= r2"},
      {{Make(BPF_ALU | BPF_MOV | BPF_K, R1, 0, 0, 3)}, "(b4) w1 = 3"},
      {{Make(BPF_ALU64 | BPF_NEG, R1, 0, 0, 0)}, "(87) r1 = -r1"},
      {{StMem(BPF_W, R7, 8200, 1)}, "(62) *(u32 *)(r7 +8200) = 1"},
      {{StxMem(BPF_DW, R10, R1, -8)}, "(7b) *(u64 *)(r10 -8) = r1"},
      {{Ja(-1)}, "(05) goto pc-1"},
      {{JaLong(70000)}, "(06) gotol pc+70000"},
      {{Call(BPF_FUNC_map_lookup_elem)}, "(85) call bpf_map_lookup_elem#1"},
      {{Call(BPF_FUNC_tail_call)}, "(85) call bpf_tail_call#12"},
      {{Exit()}, "(95) exit"},
      {{LdImm64(R1, 0x7fffffffffffffffull)[0], LdImm64(R1, 0x7fffffffffffffffull)[1]},
       "(18) r1 = 0x7fffffffffffffff"},
      {{LdMapFd(R1, 5)[0], LdMapFd(R1, 5)[1]}, "(18) r1 = map[fd:5]"},
  };
  for (const Case& c : cases) EXPECT_EQ(FormatInsn(c.insns), c.text);
}

TEST(DisassemblerTest, ProgramListingSkipsTheSecondSlotOfLdImm64) {
  auto ld = LdImm64(R4, 1);
  std::vector<bpf_insn> program = {ld[0], ld[1], Mov64Imm(R0, 0), Exit()};
  EXPECT_EQ(Disassemble(program),
            "   0: (18) r4 = 0x1\n"
            "   2: (b7) r0 = 0\n"
            "   3: (95) exit\n");
}

}  // namespace
}  // namespace o2c::bpf
