#include "o2c/bpf/kernel/x86_decoder.h"

namespace o2c::bpf {

uint64_t DecodeLinear(const uint8_t* code, size_t size, uint64_t base,
                      const OnInstruction& on_instruction) {
  ZydisDecoder decoder;
  ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
  ZydisDecodedInstruction insn;
  ZydisDecodedOperand operands[ZYDIS_MAX_OPERAND_COUNT];
  uint64_t skipped = 0;
  size_t offset = 0;
  // Zeros from an instruction boundary to the end are padding up to the next
  // symbol, not code (each 00 00 would decode as a store, add [rax], al).
  size_t code_end = size;
  while (code_end > 0 && code[code_end - 1] == 0) --code_end;
  while (offset < code_end) {
    uint64_t address = base + offset;
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, code + offset, size - offset, &insn,
                                             operands))) {
      ++skipped;
      ++offset;
      continue;
    }
    offset += insn.length;
    on_instruction(insn, operands, address);
  }
  return skipped;
}

}  // namespace o2c::bpf
