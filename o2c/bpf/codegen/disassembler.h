// Disassembler: prints BPF instructions in the text form of
// `bpftool prog dump xlated` (the kernel's kernel/bpf/disasm.c), so generated
// programs read the same in our errors, in `o2c compile --dump` and in the
// kernel's own tools:
//
//      0: (79) r2 = *(u64 *)(r1 +8)
//      1: (b5) if r2 <= 0xc0 goto pc+5
//      2: (18) r1 = 0x7fffffffffffffff
//
// Before loading a map load has no id yet: a BPF_PSEUDO_MAP_FD load prints
// as "map[fd:N]" where bpftool shows the kernel's "map[id:N]".
#ifndef O2C_BPF_CODEGEN_DISASSEMBLER_H_
#define O2C_BPF_CODEGEN_DISASSEMBLER_H_

#include <linux/bpf.h>

#include <string>

#include "absl/types/span.h"

namespace o2c::bpf {

// One instruction without its index ("(07) r1 += 8"). An ld_imm64 reads the
// next slot too: `insns` starts at the instruction and holds what follows.
std::string FormatInsn(absl::Span<const bpf_insn> insns);

// The whole program, one instruction a line, each prefixed by its index
// right-aligned in four columns as bpftool does ("   3: ...").
std::string Disassemble(absl::Span<const bpf_insn> insns);

}  // namespace o2c::bpf

#endif  // O2C_BPF_CODEGEN_DISASSEMBLER_H_
