#include "o2c/bpf/codegen/disassembler.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace o2c::bpf {
namespace {

// The operator strings of kernel/bpf/disasm.c, indexed by BPF_OP(code) >> 4.
const char* AluOp(uint8_t code) {
  static const char* const kOps[16] = {"+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=",
                                       "neg", "%=", "^=", "=", "s>>=", "endian", "?", "?"};
  return kOps[BPF_OP(code) >> 4];
}

const char* JmpOp(uint8_t code) {
  static const char* const kOps[16] = {"jmp", "==", ">",  ">=", "&",    "!=", "s>", "s>=",
                                       "call", "exit", "<", "<=", "s<", "s<=", "?", "?"};
  return kOps[BPF_OP(code) >> 4];
}

const char* SizeName(uint8_t code) {
  switch (BPF_SIZE(code)) {
    case BPF_B: return "u8";
    case BPF_H: return "u16";
    case BPF_W: return "u32";
    default: return "u64";
  }
}

// The helpers our generated programs and their tests call; others print by number.
const char* HelperName(int32_t id) {
  switch (id) {
    case BPF_FUNC_map_lookup_elem: return "bpf_map_lookup_elem";
    case BPF_FUNC_map_update_elem: return "bpf_map_update_elem";
    case BPF_FUNC_map_delete_elem: return "bpf_map_delete_elem";
    case BPF_FUNC_ktime_get_ns: return "bpf_ktime_get_ns";
    case BPF_FUNC_get_smp_processor_id: return "bpf_get_smp_processor_id";
    case BPF_FUNC_tail_call: return "bpf_tail_call";
    case BPF_FUNC_get_current_pid_tgid: return "bpf_get_current_pid_tgid";
    case BPF_FUNC_probe_read_kernel: return "bpf_probe_read_kernel";
    case BPF_FUNC_send_signal: return "bpf_send_signal";
    case BPF_FUNC_ringbuf_output: return "bpf_ringbuf_output";
    case BPF_FUNC_loop: return "bpf_loop";
    default: return nullptr;
  }
}

std::string Unknown(const bpf_insn& i) { return absl::StrFormat("(%02x) unknown opcode %02x", i.code, i.code); }

std::string FormatAlu(const bpf_insn& i) {
  char r = BPF_CLASS(i.code) == BPF_ALU64 ? 'r' : 'w';
  uint8_t op = BPF_OP(i.code);
  if (op == BPF_NEG) return absl::StrFormat("(%02x) %c%d = -%c%d", i.code, r, i.dst_reg, r, i.dst_reg);
  if (op == BPF_END) {
    const char* order = BPF_SRC(i.code) == BPF_TO_BE ? "be" : "le";
    return absl::StrFormat("(%02x) r%d = %s%d r%d", i.code, i.dst_reg, order, i.imm, i.dst_reg);
  }
  if (BPF_SRC(i.code) == BPF_X) {
    return absl::StrFormat("(%02x) %c%d %s %c%d", i.code, r, i.dst_reg, AluOp(i.code), r, i.src_reg);
  }
  return absl::StrFormat("(%02x) %c%d %s %d", i.code, r, i.dst_reg, AluOp(i.code), i.imm);
}

std::string FormatJmp(const bpf_insn& i) {
  uint8_t op = BPF_OP(i.code);
  bool jmp32 = BPF_CLASS(i.code) == BPF_JMP32;
  char r = jmp32 ? 'w' : 'r';
  if (op == BPF_EXIT) return absl::StrFormat("(%02x) exit", i.code);
  if (op == BPF_CALL) {
    if (i.src_reg == BPF_PSEUDO_CALL) return absl::StrFormat("(%02x) call pc%+d", i.code, i.imm);
    const char* name = HelperName(i.imm);
    if (name != nullptr) return absl::StrFormat("(%02x) call %s#%d", i.code, name, i.imm);
    return absl::StrFormat("(%02x) call #%d", i.code, i.imm);
  }
  if (op == BPF_JA) {
    if (jmp32) return absl::StrFormat("(%02x) gotol pc%+d", i.code, i.imm);
    return absl::StrFormat("(%02x) goto pc%+d", i.code, i.off);
  }
  if (BPF_SRC(i.code) == BPF_X) {
    return absl::StrFormat("(%02x) if %c%d %s %c%d goto pc%+d", i.code, r, i.dst_reg, JmpOp(i.code), r,
                           i.src_reg, i.off);
  }
  return absl::StrFormat("(%02x) if %c%d %s 0x%x goto pc%+d", i.code, r, i.dst_reg, JmpOp(i.code),
                         static_cast<uint32_t>(i.imm), i.off);
}

}  // namespace

std::string FormatInsn(absl::Span<const bpf_insn> insns) {
  if (insns.empty()) return "";
  const bpf_insn& i = insns[0];
  switch (BPF_CLASS(i.code)) {
    case BPF_ALU:
    case BPF_ALU64:
      return FormatAlu(i);
    case BPF_JMP:
    case BPF_JMP32:
      return FormatJmp(i);
    case BPF_LDX:
      if (BPF_MODE(i.code) != BPF_MEM) return Unknown(i);
      return absl::StrFormat("(%02x) r%d = *(%s *)(r%d %+d)", i.code, i.dst_reg, SizeName(i.code),
                             i.src_reg, i.off);
    case BPF_STX:
      if (BPF_MODE(i.code) != BPF_MEM) return Unknown(i);
      return absl::StrFormat("(%02x) *(%s *)(r%d %+d) = r%d", i.code, SizeName(i.code), i.dst_reg,
                             i.off, i.src_reg);
    case BPF_ST:
      if (BPF_MODE(i.code) != BPF_MEM) return Unknown(i);
      return absl::StrFormat("(%02x) *(%s *)(r%d %+d) = %d", i.code, SizeName(i.code), i.dst_reg,
                             i.off, i.imm);
    case BPF_LD: {
      if (i.code != (BPF_LD | BPF_DW | BPF_IMM)) return Unknown(i);
      if (i.src_reg == BPF_PSEUDO_MAP_FD) {
        return absl::StrFormat("(%02x) r%d = map[fd:%d]", i.code, i.dst_reg, i.imm);
      }
      uint64_t hi = insns.size() > 1 ? static_cast<uint32_t>(insns[1].imm) : 0;
      uint64_t imm = (hi << 32) | static_cast<uint32_t>(i.imm);
      return absl::StrFormat("(%02x) r%d = 0x%x", i.code, i.dst_reg, imm);
    }
    default:
      return Unknown(i);
  }
}

std::string Disassemble(absl::Span<const bpf_insn> insns) {
  std::string out;
  for (size_t pc = 0; pc < insns.size(); ++pc) {
    absl::StrAppendFormat(&out, "%4d: %s\n", pc, FormatInsn(insns.subspan(pc)));
    // The second slot of an ld_imm64 is not an instruction of its own.
    if (insns[pc].code == (BPF_LD | BPF_DW | BPF_IMM)) ++pc;
  }
  return out;
}

}  // namespace o2c::bpf
