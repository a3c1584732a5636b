// Fuzzes the BPF disassembler (o2c::bpf::Disassemble) on random instruction
// streams: any 8-byte instruction prints, one line each, never reading past
// the program (an ld_imm64 in the last slot has no second half).
#include <linux/bpf.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "fuzz/fuzz_check.h"
#include "o2c/bpf/codegen/disassembler.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // An exact-size heap copy, so AddressSanitizer sees a read past the end.
  std::vector<bpf_insn> insns(size / sizeof(bpf_insn));
  if (!insns.empty()) std::memcpy(insns.data(), data, insns.size() * sizeof(bpf_insn));
  const std::string text = o2c::bpf::Disassemble(insns);
  size_t slots = 0;
  for (size_t pc = 0; pc < insns.size(); ++pc) {
    ++slots;
    if (insns[pc].code == (BPF_LD | BPF_DW | BPF_IMM)) ++pc;
  }
  const std::vector<absl::string_view> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  O2C_FUZZ_CHECK(lines.size() == slots, text);
  for (size_t pc = 0; pc < insns.size(); ++pc) {
    O2C_FUZZ_CHECK(!o2c::bpf::FormatInsn(absl::MakeConstSpan(insns).subspan(pc)).empty(),
                   "empty line");
  }
  return 0;
}
