// Finding every instruction in a piece of x86-64 kernel code that writes
// memory, with Zydis, classified by what would have to check it: nothing (the
// stack frame), a check once at attach (a fixed address), or a check at run
// time (an address in a register, a memory-writing helper's destination).
// The static half of access-site checks: nothing here checks anything.
#ifndef O2C_BPF_KERNEL_STORE_SITES_H_
#define O2C_BPF_KERNEL_STORE_SITES_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "o2c/bpf/kernel/kallsyms.h"

namespace o2c::bpf {

// What a memory write goes through, hence what checking it takes.
enum class StoreClass {
  // rsp-relative, or rbp-relative after `mov rbp, rsp`: the running frame.
  // The implicit stack writes of push and call are not stores at all here.
  kStackFrame,
  // A RIP-relative or absolute address inside one of the own data ranges.
  kOwnData,
  // A RIP-relative, absolute or per-CPU (gs:) address outside own data:
  // known before the code runs, so checkable once at attach.
  kFixedAddress,
  // An address computed from a general register: checked at run time.
  kRuntime,
  // A direct call (or tail jump) to a memory-writing helper: its destination
  // argument (rdi) is checked at run time.
  kHelperCall,
};
inline constexpr size_t kStoreClassCount = 5;

// "stack", "own-data", "fixed", "runtime", "helper": stable, for reports.
const char* StoreClassName(StoreClass cls);

// x86-64 general registers by encoding number: rax 0, rcx 1, rdx 2, rbx 3,
// rsp 4, rbp 5, rsi 6, rdi 7, r8 8 ... r15 15 (the order of pt_regs is not
// this one: the BPF side maps them).
inline constexpr int8_t kNoRegister = -1;

// The bytes a store writes, as a run-time check computes them from the
// registers at the instruction (before it runs): the address is
// base + index * scale + displacement (a missing register counts 0), the
// length `width_bytes`, or the value of `length_register` times
// `length_scale` (rep string instructions: rcx elements; helpers: bytes, in
// StoreHelper::length_register).
// A kRuntime site with neither base nor index has no address a check can
// compute from the registers: a gs:/fs:-relative store through a register
// (the segment base is in no general register), a vector index (scatter).
// Registers that appear in their 32-bit form (an address-size prefix) are
// given as the 64-bit register.
struct StoreOperand {
  int8_t base = kNoRegister;
  int8_t index = kNoRegister;
  uint8_t scale = 1;
  int64_t displacement = 0;
  int8_t length_register = kNoRegister;
  uint8_t length_scale = 1;
};

// One instruction that writes memory.
struct StoreSite {
  uint64_t address = 0;  // of the instruction
  uint8_t length = 0;    // of the instruction, in bytes
  StoreClass cls = StoreClass::kRuntime;
  std::string reason;    // "through rbx", "per-CPU (gs:) address 0x1234", ...
  std::string text;      // the instruction, Intel syntax: "mov [rbx+0x10], rax"
  uint8_t width_bytes = 0;  // the memory operand's access size; 0 if unknown (helpers)
  // The address written, for kOwnData and kFixedAddress (a gs: offset for
  // per-CPU stores); the helper's address for kHelperCall; else 0.
  uint64_t target = 0;
  // For kRuntime and kHelperCall: what a run-time check reads (a helper
  // writes at rdi, usually rdx bytes).
  StoreOperand operand;
};

// A range of the compartment's own data, [start, end).
struct OwnDataRange {
  uint64_t start = 0;
  uint64_t end = 0;
  std::string name;  // for reasons; "" names it by index
};

// A function that writes memory through its first argument (memcpy, memset).
struct StoreHelper {
  uint64_t address = 0;
  std::string name;
  // The register holding how many bytes it writes: rdx, the third argument,
  // for most; rcx for rep_movs_alternative; kNoRegister where none bounds
  // it (strcpy writes up to the source's NUL, an interface function's
  // owned argument has no known length: its first byte is checked).
  int8_t length_register = 2;
  // The register holding the memory it writes or must own: rdi, the first
  // argument, for the memory helpers; an owned argument's for a policy's
  // interface function.
  int8_t destination_register = 7;
};

// The register of the x86-64 calling convention's argument `index` (rdi,
// rsi, rdx, rcx, r8, r9), or kNoRegister past the sixth.
int8_t ArgumentRegister(uint32_t index);

// The kernel's memory-writing helpers that `kallsyms` lists as text, every
// address of each (static copies may share a name), in a fixed order of
// names: memcpy, memset, memmove, copies from user space, string copies.
// Copies *to* user memory are not helpers: they write user memory.
std::vector<StoreHelper> FindStoreHelpers(const Kallsyms& kallsyms);

// What the analysis is told about the code's surroundings.
struct StoreContext {
  std::vector<OwnDataRange> own_data;  // empty: own data unknown
  std::vector<StoreHelper> helpers;
};

// What decoding found.
struct StoreAnalysis {
  std::vector<StoreSite> sites;     // by address
  uint64_t undecodable_bytes = 0;   // skipped one at a time
  std::array<uint64_t, kStoreClassCount> counts{};  // sites per class

  uint64_t count(StoreClass cls) const { return counts[static_cast<size_t>(cls)]; }
  // Appends `other`'s sites and adds its counts: for totals over functions.
  void Add(const StoreAnalysis& other);
};

// Decodes `size` bytes at `code`, which the kernel runs at `base`, linearly,
// and returns every memory write: an explicit memory operand the instruction
// writes, or the rdi destination of a string instruction (movs, stos, ins);
// calls and jumps to `ctx.helpers`; kRuntime and kHelperCall sites get the
// operand a run-time check reads (StoreSite::operand). Not stores: lea, nops
// and prefetches with memory forms, the stack slots push and call write. rbp counts as the
// frame pointer from a `mov rbp, rsp` up to the next write of rbp, so code
// built without frame pointers, where rbp is a general register, gets no
// free pass.
StoreAnalysis FindStores(const uint8_t* code, size_t size, uint64_t base,
                         const StoreContext& ctx);

// One line per site ("  <address>  <class>  <reason>  <instruction>") and a
// last line of counts (FormatStoreSummary). `format_address` renders an
// address (a symbolizer); null prints hex.
std::string FormatStoreReport(const StoreAnalysis& analysis,
                              const std::function<std::string(uint64_t)>& format_address = {});

// "stores: 14 (stack 2, own-data 2, fixed 2, runtime 7, helper 1); undecodable bytes: 0".
std::string FormatStoreSummary(const StoreAnalysis& analysis);

// The report of the sites in [start, end) alone (one code range of several
// analysed together): one line per site as FormatStoreReport, and a last
// line of their counts, "stores: 3 (stack 1, ...)". Undecodable bytes are
// not counted by place: they are in the whole analysis's summary.
std::string FormatStoreReport(const StoreAnalysis& analysis, uint64_t start, uint64_t end,
                              const std::function<std::string(uint64_t)>& format_address = {});

}  // namespace o2c::bpf

#endif  // O2C_BPF_KERNEL_STORE_SITES_H_
