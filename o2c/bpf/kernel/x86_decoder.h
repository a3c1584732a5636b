// Linear decoding of x86-64 kernel code with Zydis, shared by the analyses
// that walk a compartment's instructions (its calls, its stores).
#ifndef O2C_BPF_KERNEL_X86_DECODER_H_
#define O2C_BPF_KERNEL_X86_DECODER_H_

#include <Zydis/Zydis.h>

#include <cstddef>
#include <cstdint>
#include <functional>

namespace o2c::bpf {

// One decoded instruction: `operands` holds insn.operand_count entries and
// lives only for the duration of the callback.
using OnInstruction = std::function<void(const ZydisDecodedInstruction& insn,
                                         const ZydisDecodedOperand* operands, uint64_t address)>;

// Decodes `size` bytes at `code`, which the kernel runs at `base`, from the
// first byte on, calling `on_instruction` for each instruction in order.
// Where nothing decodes (padding, a truncated last instruction) it skips one
// byte and tries again; returns how many bytes it skipped. Zero bytes from an
// instruction boundary to the end are padding and not decoded.
uint64_t DecodeLinear(const uint8_t* code, size_t size, uint64_t base,
                      const OnInstruction& on_instruction);

}  // namespace o2c::bpf

#endif  // O2C_BPF_KERNEL_X86_DECODER_H_
