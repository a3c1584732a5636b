#include "o2c/bpf/kernel/call_sites.h"

#include <Zydis/Zydis.h>

namespace o2c::bpf {

DecodedCalls FindCalls(const uint8_t* code, size_t size, uint64_t base) {
  DecodedCalls found;
  ZydisDecoder decoder;
  ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
  ZydisDecodedInstruction insn;
  ZydisDecodedOperand operands[ZYDIS_MAX_OPERAND_COUNT];
  size_t offset = 0;
  while (offset < size) {
    uint64_t address = base + offset;
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, code + offset, size - offset, &insn,
                                             operands))) {
      // Padding or a truncated last instruction: resynchronise byte by byte.
      ++found.undecodable_bytes;
      ++offset;
      continue;
    }
    offset += insn.length;
    bool is_call = insn.meta.category == ZYDIS_CATEGORY_CALL;
    bool is_jump = insn.meta.category == ZYDIS_CATEGORY_UNCOND_BR ||
                   insn.meta.category == ZYDIS_CATEGORY_COND_BR;
    if ((!is_call && !is_jump) || insn.operand_count_visible == 0) continue;
    const ZydisDecodedOperand& op = operands[0];
    if (op.type != ZYDIS_OPERAND_TYPE_IMMEDIATE || !op.imm.is_relative) {
      found.indirect_calls.push_back(address);
      continue;
    }
    uint64_t target = 0;
    if (!ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&insn, &op, address, &target))) continue;
    bool leaves = target < base || target >= base + size;
    if (is_jump && !leaves) continue;  // a branch inside the function
    found.calls.push_back({address, address + insn.length, target, is_jump});
  }
  return found;
}

}  // namespace o2c::bpf
