// Unit tier: the emitter's encodings, label resolution and sticky errors,
// as tables in the style of the kernel's verifier selftests.
#include "o2c/bpf/codegen/emitter.h"

#include <functional>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace o2c::bpf {
namespace {

using namespace insn;  // NOLINT
using ::o2c::testing::StatusIs;
using ::testing::HasSubstr;

// One row: what to emit, and the raw encoding expected.
struct EncodingCase {
  const char* name;
  std::function<void(Emitter&)> emit;
  std::vector<bpf_insn> expected;
};

bool SameInsn(const bpf_insn& a, const bpf_insn& b) {
  return a.code == b.code && a.dst_reg == b.dst_reg && a.src_reg == b.src_reg && a.off == b.off &&
         a.imm == b.imm;
}

TEST(EmitterTest, EncodingTable) {
  const std::vector<EncodingCase> cases = {
      {"mov64 imm", [](Emitter& e) { e.Emit(Mov64Imm(R0, -1)); },
       {{0xb7, 0, 0, 0, -1}}},
      {"ldx dw", [](Emitter& e) { e.Emit(LdxMem(BPF_DW, R2, R1, 8)); },
       {{0x79, 2, 1, 8, 0}}},
      {"st w", [](Emitter& e) { e.Emit(StMem(BPF_W, R10, -4, 7)); },
       {{0x62, 10, 0, -4, 7}}},
      {"forward jsgt", [](Emitter& e) {
         Label l = e.NewLabel();
         e.JumpImm(BPF_JSGT, R3, 192, l);
         e.Emit(Mov64Imm(R0, 1));
         e.Bind(l);
         e.Emit(Exit());
       },
       {{0x65, 3, 0, 1, 192}, {0xb7, 0, 0, 0, 1}, {0x95, 0, 0, 0, 0}}},
      {"backward ja", [](Emitter& e) {
         Label l = e.NewLabel();
         e.Bind(l);
         e.Emit(Mov64Imm(R0, 0));
         e.Ja(l);
       },
       {{0xb7, 0, 0, 0, 0}, {0x05, 0, 0, -2, 0}}},
      {"jsle reg", [](Emitter& e) {
         Label l = e.NewLabel();
         e.JumpReg(BPF_JSLE, R3, R4, l);
         e.Bind(l);
         e.Emit(Exit());
       },
       {{0xdd, 3, 4, 0, 0}, {0x95, 0, 0, 0, 0}}},
      {"gotol", [](Emitter& e) {
         Label l = e.NewLabel();
         e.JaLong(l);
         e.Emit(Mov64Imm(R0, 0));
         e.Bind(l);
         e.Emit(Exit());
       },
       {{0x06, 0, 0, 0, 1}, {0xb7, 0, 0, 0, 0}, {0x95, 0, 0, 0, 0}}},
      {"ld_imm64 INT64_MIN", [](Emitter& e) { e.LdImm64(R4, 0x8000000000000000ull); },
       {{0x18, 4, 0, 0, 0}, {0, 0, 0, 0, static_cast<int32_t>(0x80000000u)}}},
      {"ld_imm64 -2", [](Emitter& e) { e.LdImm64(R4, static_cast<uint64_t>(-2)); },
       {{0x18, 4, 0, 0, -2}, {0, 0, 0, 0, -1}}},
  };
  for (const EncodingCase& c : cases) {
    Emitter e(c.name);
    c.emit(e);
    auto program = e.Finish();
    ASSERT_TRUE(program.ok()) << c.name << ": " << program.status();
    ASSERT_EQ(program->insns.size(), c.expected.size()) << c.name;
    for (size_t i = 0; i < c.expected.size(); ++i) {
      EXPECT_TRUE(SameInsn(program->insns[i], c.expected[i]))
          << c.name << ": insn " << i << " code " << int{program->insns[i].code} << " off "
          << program->insns[i].off << " imm " << program->insns[i].imm;
    }
  }
}

// One row: what to emit, and the error Finish() must report.
struct ErrorCase {
  const char* name;
  std::function<void(Emitter&)> emit;
  const char* message;
};

TEST(EmitterTest, ErrorTable) {
  const std::vector<ErrorCase> cases = {
      {"bad dst", [](Emitter& e) { e.Emit(Mov64Imm(static_cast<Reg>(11), 0)); },
       "insn 0: bad dst register r11"},
      {"write r10", [](Emitter& e) { e.Emit(Mov64Imm(R0, 0)); e.Emit(Mov64Imm(R10, 0)); },
       "insn 1: dst r10 is the read-only frame pointer"},
      {"bad src", [](Emitter& e) { e.Emit(LdxMem(BPF_DW, R0, static_cast<Reg>(12), 0)); },
       "bad src register r12"},
      {"unbound", [](Emitter& e) { e.Ja(e.NewLabel()); e.Emit(Exit()); },
       "insn 0: jump to label 0 never bound"},
      {"bound twice", [](Emitter& e) {
         Label l = e.NewLabel();
         e.Bind(l);
         e.Emit(Exit());
         e.Bind(l);
       },
       "label 0 bound twice (first at insn 0)"},
      {"out of range", [](Emitter& e) {
         Label l = e.NewLabel();
         e.Ja(l);
         for (int i = 0; i < 40000; ++i) e.Emit(Mov64Imm(R0, 0));
         e.Bind(l);
         e.Emit(Exit());
       },
       "insn 0: jump offset 40000 out of the 16-bit range"},
      {"label past end", [](Emitter& e) {
         Label l = e.NewLabel();
         e.Ja(l);
         e.Bind(l);
       },
       "bound past the end"},
  };
  for (const ErrorCase& c : cases) {
    Emitter e(c.name);
    c.emit(e);
    EXPECT_THAT(e.Finish(), StatusIs(absl::StatusCode::kInvalidArgument,
                                     HasSubstr(absl::StrCat("prog '", c.name, "': "))))
        << c.name;
    Emitter again(c.name);
    c.emit(again);
    EXPECT_THAT(again.Finish(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)))
        << c.name;
  }
}

TEST(EmitterTest, FirstErrorSticksAndLaterEmitsAreIgnored) {
  Emitter e("sticky");
  e.Emit(Mov64Imm(static_cast<Reg>(11), 0));
  size_t size = e.size();
  e.Emit(Mov64Imm(static_cast<Reg>(13), 0));
  e.Fail(absl::InternalError("later"));
  EXPECT_EQ(e.size(), size);
  EXPECT_THAT(e.Finish(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("r11")));
}

TEST(EmitterTest, MapSlotsBindAtLoadTime) {
  Emitter e("maps");
  e.LdMap(R1, 1);
  e.LdMap(R2, 0);
  e.Emit(Mov64Imm(R0, 0));
  e.Emit(Exit());
  auto program = e.Finish();
  ASSERT_TRUE(program.ok()) << program.status();
  ASSERT_EQ(program->map_relocations.size(), 2u);
  auto insns = program->WithMapFds({7, 9});
  ASSERT_TRUE(insns.ok()) << insns.status();
  EXPECT_EQ((*insns)[0].src_reg, BPF_PSEUDO_MAP_FD);
  EXPECT_EQ((*insns)[0].imm, 9);
  EXPECT_EQ((*insns)[2].imm, 7);
  EXPECT_THAT(program->WithMapFds({7}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("prog 'maps': insn 0 loads map slot 1 but no map fd")));
}

TEST(EmitterTest, RefusesProgramsLargerThanTheKernelLoads) {
  Emitter e("huge");
  for (size_t i = 0; i <= kMaxProgramInsns; ++i) e.Emit(Mov64Imm(R0, 0));
  EXPECT_THAT(e.Finish(), StatusIs(absl::StatusCode::kResourceExhausted,
                                   HasSubstr("the kernel loads at most 1000000")));
}

}  // namespace
}  // namespace o2c::bpf
