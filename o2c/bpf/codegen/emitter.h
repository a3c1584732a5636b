// Emitter: an instruction buffer for generated BPF programs, over the
// factories of insn.h. Jumps name Labels that may be bound later; Finish()
// resolves them. Map references name a slot, bound to a real map fd only
// when loading (the same code can then be loaded against different maps).
//
// Errors are sticky, as in libbpf's gen_loader.c (gen->error): the first
// mistake (bad register, label bound twice, unbound label, jump out of
// range) is kept, every later call does nothing, and Finish() returns it.
// Callers emit a whole program without checking after each instruction.
#ifndef O2C_BPF_CODEGEN_EMITTER_H_
#define O2C_BPF_CODEGEN_EMITTER_H_

#include <linux/bpf.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "o2c/bpf/codegen/insn.h"

namespace o2c::bpf {

// The most instructions the kernel loads in one program
// (BPF_COMPLEXITY_LIMIT_INSNS, also the privileged program-size limit).
inline constexpr size_t kMaxProgramInsns = 1000000;

// A position in the program, named before it is known. Made by NewLabel().
struct Label {
  int id = -1;
};

// An ld_imm64 that must load the map of `slot` (see EmittedProgram::WithMapFds).
struct MapRelocation {
  size_t insn = 0;  // index of the first of the two slots
  uint32_t slot = 0;
};

// A finished program: jumps resolved, maps still symbolic.
struct EmittedProgram {
  std::string name;
  std::vector<bpf_insn> insns;
  std::vector<MapRelocation> map_relocations;

  // The instructions with map slot i turned into a load of `map_fds[i]`
  // (BPF_PSEUDO_MAP_FD). Fails, naming the slot, if a slot has no fd.
  absl::StatusOr<std::vector<bpf_insn>> WithMapFds(absl::Span<const int> map_fds) const;
};

class Emitter {
 public:
  // `program_name` prefixes every error ("prog 'tree': insn 12: ...").
  explicit Emitter(std::string program_name);

  // A new, unbound label.
  Label NewLabel();
  // Binds `label` to the next instruction emitted.
  void Bind(Label label);

  // Appends one instruction (or an ld_imm64 pair) after checking its registers.
  void Emit(const bpf_insn& insn);
  void Emit(const std::array<bpf_insn, 2>& pair);

  // if (dst op imm) goto target; op is a BPF_JMP op (BPF_JSGT, BPF_JEQ, ...).
  void JumpImm(uint8_t op, insn::Reg dst, int32_t imm, Label target);
  // if (dst op src) goto target.
  void JumpReg(uint8_t op, insn::Reg dst, insn::Reg src, Label target);
  // goto target (16-bit offset).
  void Ja(Label target);
  // goto target with a 32-bit offset (gotol; newer kernels only).
  void JaLong(Label target);
  // Calls the subprogram starting at `target` (BPF_PSEUDO_CALL, 32-bit offset).
  void CallSubprog(Label target);
  // dst = imm64.
  void LdImm64(insn::Reg dst, uint64_t imm);
  // dst = the map bound to `slot` at load time.
  void LdMap(insn::Reg dst, uint32_t slot);

  // Records `status` as the error, unless one is already recorded. Code
  // generators use it for their own refusals, so Finish() reports those too.
  void Fail(absl::Status status);

  // Instructions emitted so far (an ld_imm64 counts two).
  size_t size() const { return insns_.size(); }
  bool ok() const { return error_.ok(); }
  const absl::Status& error() const { return error_; }

  // Resolves every jump. Returns the first error if there was one, or if a
  // label is unbound, a jump is out of range, or the program is too large.
  absl::StatusOr<EmittedProgram> Finish();

 private:
  struct Fixup {
    size_t insn;
    int label;
    bool long_jump;  // offset in imm (gotol, subprogram call), not off
  };

  bool CheckReg(int reg, bool writable, const char* role);
  void EmitJump(const bpf_insn& insn, Label target, bool long_jump);
  absl::Status Error(size_t insn, const std::string& what) const;

  std::string name_;
  std::vector<bpf_insn> insns_;
  std::vector<int64_t> label_pos_;  // -1 while unbound
  std::vector<Fixup> fixups_;
  std::vector<MapRelocation> relocations_;
  absl::Status error_;
};

}  // namespace o2c::bpf

#endif  // O2C_BPF_CODEGEN_EMITTER_H_
