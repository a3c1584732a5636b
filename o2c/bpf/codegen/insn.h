// Typed, constexpr factories for BPF instructions, after the kernel's
// BPF_MOV64_IMM family (include/linux/filter.h). Everything that emits raw
// BPF in O2C (the feature probes, the tree code generator) builds on these.
#ifndef O2C_BPF_CODEGEN_INSN_H_
#define O2C_BPF_CODEGEN_INSN_H_

#include <linux/bpf.h>

#include <array>
#include <cstdint>

namespace o2c::bpf::insn {

// Registers r0..r10 (r10 is the read-only frame pointer).
enum Reg : uint8_t { R0 = 0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10 };

constexpr bpf_insn Make(uint8_t code, uint8_t dst, uint8_t src, int16_t off,
                        int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst;
  i.src_reg = src;
  i.off = off;
  i.imm = imm;
  return i;
}

// dst = imm (sign-extended to 64 bits).
constexpr bpf_insn Mov64Imm(Reg dst, int32_t imm) {
  return Make(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
}
// dst = src.
constexpr bpf_insn Mov64Reg(Reg dst, Reg src) {
  return Make(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0);
}
// dst op= imm, op one of BPF_ADD, BPF_SUB, BPF_AND, BPF_OR, BPF_LSH, BPF_RSH, ...
constexpr bpf_insn Alu64Imm(uint8_t op, Reg dst, int32_t imm) {
  return Make(BPF_ALU64 | op | BPF_K, dst, 0, 0, imm);
}
// dst op= src.
constexpr bpf_insn Alu64Reg(uint8_t op, Reg dst, Reg src) {
  return Make(BPF_ALU64 | op | BPF_X, dst, src, 0, 0);
}
// dst = *(size *)(src + off), size one of BPF_B, BPF_H, BPF_W, BPF_DW.
constexpr bpf_insn LdxMem(uint8_t size, Reg dst, Reg src, int16_t off) {
  return Make(BPF_LDX | BPF_MEM | size, dst, src, off, 0);
}
// *(size *)(dst + off) = src.
constexpr bpf_insn StxMem(uint8_t size, Reg dst, Reg src, int16_t off) {
  return Make(BPF_STX | BPF_MEM | size, dst, src, off, 0);
}
// *(size *)(dst + off) = imm.
constexpr bpf_insn StMem(uint8_t size, Reg dst, int16_t off, int32_t imm) {
  return Make(BPF_ST | BPF_MEM | size, dst, 0, off, imm);
}
// if (dst op imm) goto pc + 1 + off; op one of BPF_JEQ, BPF_JGT, BPF_JSGT, ...
constexpr bpf_insn JmpImm(uint8_t op, Reg dst, int32_t imm, int16_t off) {
  return Make(BPF_JMP | op | BPF_K, dst, 0, off, imm);
}
// if (dst op src) goto pc + 1 + off.
constexpr bpf_insn JmpReg(uint8_t op, Reg dst, Reg src, int16_t off) {
  return Make(BPF_JMP | op | BPF_X, dst, src, off, 0);
}
// goto pc + 1 + off.
constexpr bpf_insn Ja(int16_t off) { return Make(BPF_JMP | BPF_JA, 0, 0, off, 0); }
// goto pc + 1 + off with a 32-bit offset ("gotol": BPF_JMP32 | BPF_JA, imm
// holds the offset). Only newer kernels accept it: probe before use.
constexpr bpf_insn JaLong(int32_t off) {
  return Make(BPF_JMP32 | BPF_JA, 0, 0, 0, off);
}
// r0 = helper(r1, ..., r5).
constexpr bpf_insn Call(bpf_func_id helper) {
  return Make(BPF_JMP | BPF_CALL, 0, 0, 0, helper);
}
constexpr bpf_insn Exit() { return Make(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

// dst = imm64: two instruction slots.
constexpr std::array<bpf_insn, 2> LdImm64(Reg dst, uint64_t imm) {
  return {Make(BPF_LD | BPF_DW | BPF_IMM, dst, 0, 0, static_cast<int32_t>(imm)),
          Make(0, 0, 0, 0, static_cast<int32_t>(imm >> 32))};
}
// dst = the map whose fd is `map_fd` (a map-fd pseudo load: two slots).
constexpr std::array<bpf_insn, 2> LdMapFd(Reg dst, int map_fd) {
  return {Make(BPF_LD | BPF_DW | BPF_IMM, dst, BPF_PSEUDO_MAP_FD, 0, map_fd),
          Make(0, 0, 0, 0, 0)};
}

}  // namespace o2c::bpf::insn

#endif  // O2C_BPF_CODEGEN_INSN_H_
