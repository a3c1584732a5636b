#include "o2c/bpf/codegen/emitter.h"

#include <limits>

#include "absl/strings/str_cat.h"

namespace o2c::bpf {

absl::StatusOr<std::vector<bpf_insn>> EmittedProgram::WithMapFds(
    absl::Span<const int> map_fds) const {
  std::vector<bpf_insn> out = insns;
  for (const MapRelocation& r : map_relocations) {
    if (r.slot >= map_fds.size() || map_fds[r.slot] < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "prog '", name, "': insn ", r.insn, " loads map slot ", r.slot,
          " but no map fd was given for it (", map_fds.size(), " given)"));
    }
    out[r.insn].src_reg = BPF_PSEUDO_MAP_FD;
    out[r.insn].imm = map_fds[r.slot];
  }
  return out;
}

Emitter::Emitter(std::string program_name) : name_(std::move(program_name)) {}

absl::Status Emitter::Error(size_t insn, const std::string& what) const {
  return absl::InvalidArgumentError(absl::StrCat("prog '", name_, "': insn ", insn, ": ", what));
}

void Emitter::Fail(absl::Status status) {
  if (error_.ok()) error_ = std::move(status);
}

Label Emitter::NewLabel() {
  label_pos_.push_back(-1);
  return Label{static_cast<int>(label_pos_.size() - 1)};
}

void Emitter::Bind(Label label) {
  if (!ok()) return;
  if (label.id < 0 || static_cast<size_t>(label.id) >= label_pos_.size()) {
    Fail(Error(insns_.size(), absl::StrCat("bind of unknown label ", label.id)));
    return;
  }
  if (label_pos_[label.id] >= 0) {
    Fail(Error(insns_.size(), absl::StrCat("label ", label.id, " bound twice (first at insn ",
                                           label_pos_[label.id], ")")));
    return;
  }
  label_pos_[label.id] = static_cast<int64_t>(insns_.size());
}

bool Emitter::CheckReg(int reg, bool writable, const char* role) {
  int max = writable ? insn::R9 : insn::R10;
  if (reg <= max) return true;
  Fail(Error(insns_.size(),
             reg == insn::R10 ? absl::StrCat(role, " r10 is the read-only frame pointer")
                              : absl::StrCat("bad ", role, " register r", reg)));
  return false;
}

void Emitter::Emit(const bpf_insn& i) {
  if (!ok()) return;
  uint8_t cls = BPF_CLASS(i.code);
  // Classes that write dst: ALU, ALU64, LDX, LD. Stores and jumps only read it.
  bool writes_dst = cls == BPF_ALU || cls == BPF_ALU64 || cls == BPF_LDX || cls == BPF_LD;
  if (!CheckReg(i.dst_reg, writes_dst, "dst")) return;
  // ld_imm64 uses src_reg as a pseudo tag, not a register.
  if (cls != BPF_LD && !CheckReg(i.src_reg, false, "src")) return;
  insns_.push_back(i);
}

void Emitter::Emit(const std::array<bpf_insn, 2>& pair) {
  if (!ok()) return;
  Emit(pair[0]);
  if (ok()) insns_.push_back(pair[1]);
}

void Emitter::EmitJump(const bpf_insn& i, Label target, bool long_jump) {
  if (!ok()) return;
  if (target.id < 0 || static_cast<size_t>(target.id) >= label_pos_.size()) {
    Fail(Error(insns_.size(), absl::StrCat("jump to unknown label ", target.id)));
    return;
  }
  size_t at = insns_.size();
  Emit(i);
  if (ok()) fixups_.push_back({at, target.id, long_jump});
}

void Emitter::JumpImm(uint8_t op, insn::Reg dst, int32_t imm, Label target) {
  EmitJump(insn::JmpImm(op, dst, imm, 0), target, false);
}

void Emitter::JumpReg(uint8_t op, insn::Reg dst, insn::Reg src, Label target) {
  EmitJump(insn::JmpReg(op, dst, src, 0), target, false);
}

void Emitter::Ja(Label target) { EmitJump(insn::Ja(0), target, false); }

void Emitter::JaLong(Label target) { EmitJump(insn::JaLong(0), target, true); }

void Emitter::CallSubprog(Label target) {
  EmitJump(insn::Make(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 0), target, true);
}

void Emitter::LdImm64(insn::Reg dst, uint64_t imm) { Emit(insn::LdImm64(dst, imm)); }

void Emitter::LdMap(insn::Reg dst, uint32_t slot) {
  if (!ok()) return;
  size_t at = insns_.size();
  // A placeholder fd of -1 until WithMapFds() binds the slot.
  Emit(insn::LdMapFd(dst, -1));
  if (ok()) relocations_.push_back({at, slot});
}

absl::StatusOr<EmittedProgram> Emitter::Finish() {
  if (!ok()) return error_;
  if (insns_.size() > kMaxProgramInsns) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "prog '", name_, "': ", insns_.size(), " instructions; the kernel loads at most ",
        kMaxProgramInsns));
  }
  for (const Fixup& f : fixups_) {
    int64_t pos = label_pos_[f.label];
    if (pos < 0) return Error(f.insn, absl::StrCat("jump to label ", f.label, " never bound"));
    if (pos >= static_cast<int64_t>(insns_.size())) {
      return Error(f.insn, absl::StrCat("jump to label ", f.label, " bound past the end"));
    }
    int64_t off = pos - static_cast<int64_t>(f.insn) - 1;
    if (f.long_jump) {
      insns_[f.insn].imm = static_cast<int32_t>(off);
      continue;
    }
    if (off < std::numeric_limits<int16_t>::min() || off > std::numeric_limits<int16_t>::max()) {
      return Error(f.insn, absl::StrCat("jump offset ", off,
                                        " out of the 16-bit range [-32768, 32767]"));
    }
    insns_[f.insn].off = static_cast<int16_t>(off);
  }
  return EmittedProgram{name_, insns_, relocations_};
}

}  // namespace o2c::bpf
