#include "o2c/bpf/kernel/call_sites.h"

#include <cstring>

#include "o2c/bpf/kernel/x86_decoder.h"

namespace o2c::bpf {

DecodedCalls FindCalls(const uint8_t* code, size_t size, uint64_t base) {
  DecodedCalls found;
  found.undecodable_bytes = DecodeLinear(
      code, size, base,
      [&](const ZydisDecodedInstruction& insn, const ZydisDecodedOperand* operands,
          uint64_t address) {
        bool is_call = insn.meta.category == ZYDIS_CATEGORY_CALL;
        bool is_jump = insn.meta.category == ZYDIS_CATEGORY_UNCOND_BR ||
                       insn.meta.category == ZYDIS_CATEGORY_COND_BR;
        if ((!is_call && !is_jump) || insn.operand_count_visible == 0) return;
        const ZydisDecodedOperand& op = operands[0];
        if (op.type != ZYDIS_OPERAND_TYPE_IMMEDIATE || !op.imm.is_relative) {
          found.indirect_calls.push_back(address);
          return;
        }
        uint64_t target = 0;
        if (!ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&insn, &op, address, &target))) return;
        bool leaves = target < base || target >= base + size;
        if (is_jump && !leaves) return;  // a branch inside the function
        found.calls.push_back({address, address + insn.length, target, is_jump});
      });
  return found;
}

std::vector<CallInstruction> ScanForCalls(const uint8_t* code, size_t size, uint64_t base,
                                          const std::vector<TargetWindow>& targets) {
  constexpr size_t kCallLength = 5;
  std::vector<CallInstruction> found;
  for (size_t i = 0; i + kCallLength <= size; ++i) {
    if (code[i] != 0xe8) continue;
    int32_t displacement;
    std::memcpy(&displacement, code + i + 1, sizeof(displacement));
    uint64_t target = base + i + kCallLength + static_cast<int64_t>(displacement);
    for (const TargetWindow& w : targets) {
      if (target >= w.start && target < w.end) {
        found.push_back({base + i, base + i + kCallLength, target, false});
        break;
      }
    }
  }
  return found;
}

}  // namespace o2c::bpf
