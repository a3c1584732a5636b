// Finding the calls a piece of x86-64 kernel code makes, with Zydis: every
// direct `call rel32` and every jump that leaves the function (a tail call),
// with its target; indirect calls are counted, not resolved.
#ifndef O2C_BPF_KERNEL_CALL_SITES_H_
#define O2C_BPF_KERNEL_CALL_SITES_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace o2c::bpf {

// A direct call or tail jump in the decoded code.
struct CallInstruction {
  uint64_t address = 0;         // of the instruction
  uint64_t return_address = 0;  // address + length: the _RET_IP_ a callee sees
  uint64_t target = 0;
  bool tail = false;            // a jump: the callee returns to our caller
};

// What decoding a function found.
struct DecodedCalls {
  std::vector<CallInstruction> calls;     // by address
  std::vector<uint64_t> indirect_calls;   // call/jmp through a register or memory
  uint64_t undecodable_bytes = 0;         // skipped one at a time
};

// Decodes `size` bytes at `code`, which the kernel runs at `base`, linearly.
// A jump counts as a tail call when its target lies outside [base, base+size).
DecodedCalls FindCalls(const uint8_t* code, size_t size, uint64_t base);

// Addresses [start, end) a call may target.
struct TargetWindow {
  uint64_t start = 0;
  uint64_t end = 0;
};

// Every `call rel32` byte pattern (0xe8 and a 32-bit displacement) in `size`
// bytes at `code`, run at `base`, whose target lies in one of `targets`, by
// address. Found without decoding, so fast enough for the whole kernel text;
// a match may sit inside another instruction, so confirm each by decoding
// its function (FindCalls).
std::vector<CallInstruction> ScanForCalls(const uint8_t* code, size_t size, uint64_t base,
                                   const std::vector<TargetWindow>& targets);

}  // namespace o2c::bpf

#endif  // O2C_BPF_KERNEL_CALL_SITES_H_
