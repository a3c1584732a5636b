#include "o2c/bpf/codegen/linear_codegen.h"

#include <cstdint>
#include <limits>

#include "o2c/bpf/codegen/insn.h"

namespace o2c::bpf {

using namespace insn;  // NOLINT: instruction builders

void EmitLinear(const ml::FixedPointLogistic& model, const TreeFrame& frame, Emitter& e) {
  e.LdImm64(R3, static_cast<uint64_t>(model.bias));
  for (size_t i = 0; i < model.weights.size(); ++i) {
    const int64_t w = model.weights[i];
    if (w == 0) continue;
    e.Emit(LdxMem(BPF_DW, R4, frame.base, frame.features_offset + 8 * static_cast<int>(i)));
    if (w >= std::numeric_limits<int32_t>::min() && w <= std::numeric_limits<int32_t>::max()) {
      e.Emit(Alu64Imm(BPF_MUL, R4, static_cast<int32_t>(w)));  // sign-extended immediate
    } else {
      e.LdImm64(R5, static_cast<uint64_t>(w));
      e.Emit(Alu64Reg(BPF_MUL, R4, R5));
    }
    e.Emit(Alu64Reg(BPF_ADD, R3, R4));
  }
  Label store = e.NewLabel();
  e.Emit(Mov64Imm(R4, 0));
  e.JumpImm(BPF_JSLE, R3, 0, store);
  e.Emit(Mov64Imm(R4, 1));
  e.Bind(store);
  EmitVerdictAndExit(R4, -1, R5, frame, e);
}

}  // namespace o2c::bpf
