#include "o2c/bpf/kernel/store_sites.h"

#include <Zydis/Zydis.h>

#include <algorithm>
#include <string>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "o2c/bpf/kernel/x86_decoder.h"

namespace o2c::bpf {
namespace {

constexpr int8_t kRcx = 1, kRdx = 2, kRdi = 7;
constexpr uint64_t kEndbr64Bytes = 4;

// Functions that write memory through their first argument (rdi), as
// compartment code calls them, and where their byte count is.
struct KnownHelper {
  const char* name;
  int8_t length_register;
};
constexpr KnownHelper kStoreHelpers[] = {
    {"memcpy", kRdx}, {"__memcpy", kRdx}, {"memset", kRdx}, {"__memset", kRdx},
    {"memmove", kRdx}, {"__memmove", kRdx}, {"_copy_from_user", kRdx},
    {"__copy_from_user_inatomic", kRdx}, {"copy_from_user_nmi", kRdx},
    // Called from copy_user_generic's inline asm with the count in rcx, as
    // `rep movsb` takes it.
    {"rep_movs_alternative", kRcx},
    {"copy_user_generic_string", kRdx}, {"copy_user_generic_unrolled", kRdx},
    {"copy_user_enhanced_fast_string", kRdx}, {"__copy_user_nocache", kRdx},
    {"strncpy_from_user", kRdx}, {"copy_from_kernel_nofault", kRdx},
    {"strscpy", kRdx}, {"strscpy_pad", kRdx}, {"strncpy", kRdx}, {"strlcpy", kRdx},
    // Up to the source's NUL; strncat's count starts at the end of the
    // destination's string, not at rdi.
    {"strcpy", kNoRegister}, {"strcat", kNoRegister}, {"strncat", kNoRegister}};

std::string Hex(uint64_t value) { return absl::StrCat("0x", absl::Hex(value)); }

// By encoding number (store_sites.h).
const char* GeneralRegisterName(int8_t reg) {
  static constexpr const char* kNames[] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp",
                                           "rsi", "rdi", "r8",  "r9",  "r10", "r11",
                                           "r12", "r13", "r14", "r15"};
  return reg >= 0 && reg < 16 ? kNames[reg] : "none";
}

const char* RegisterName(ZydisRegister reg) { return ZydisRegisterGetString(reg); }

bool WritesMemory(const ZydisDecodedOperand& op) {
  return op.type == ZYDIS_OPERAND_TYPE_MEMORY && op.mem.type != ZYDIS_MEMOP_TYPE_AGEN &&
         (op.actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) != 0;
}

bool WritesRbp(const ZydisDecodedInstruction& insn, const ZydisDecodedOperand* operands) {
  for (uint8_t i = 0; i < insn.operand_count; ++i) {
    const ZydisDecodedOperand& op = operands[i];
    if (op.type != ZYDIS_OPERAND_TYPE_REGISTER ||
        (op.actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) == 0) {
      continue;
    }
    if (ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, op.reg.value) ==
        ZYDIS_REGISTER_RBP) {
      return true;
    }
  }
  return false;
}

bool IsMovRbpRsp(const ZydisDecodedInstruction& insn, const ZydisDecodedOperand* operands) {
  return insn.mnemonic == ZYDIS_MNEMONIC_MOV && insn.operand_count_visible == 2 &&
         operands[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
         operands[0].reg.value == ZYDIS_REGISTER_RBP &&
         operands[1].type == ZYDIS_OPERAND_TYPE_REGISTER &&
         operands[1].reg.value == ZYDIS_REGISTER_RSP;
}

// "rbx", "rbx + rcx*8", "index rcx*8": the registers an address comes from.
std::string AddressRegisters(const ZydisDecodedOperandMem& mem) {
  std::string index;
  if (mem.index != ZYDIS_REGISTER_NONE) {
    index = std::string(RegisterName(mem.index)) + "*" + std::to_string(mem.scale);
  }
  if (mem.base == ZYDIS_REGISTER_NONE) return "index " + index;
  std::string out = RegisterName(mem.base);
  if (!index.empty()) out += " + " + index;
  return out;
}

// The 64-bit general register `reg` is or is part of, by encoding number;
// kNoRegister for none and for any other (rip, a vector register).
int8_t RegisterNumber(ZydisRegister reg) {
  ZydisRegister full = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, reg);
  if (ZydisRegisterGetClass(full) != ZYDIS_REGCLASS_GPR64) return kNoRegister;
  return static_cast<int8_t>(ZydisRegisterGetId(full));
}

// The address of `mem` as a run-time check computes it: empty (no
// registers) when it goes through a segment base or a register that holds
// no address.
StoreOperand OperandOf(const ZydisDecodedOperandMem& mem) {
  StoreOperand out;
  if (mem.segment == ZYDIS_REGISTER_GS || mem.segment == ZYDIS_REGISTER_FS) return out;
  int8_t base = RegisterNumber(mem.base), index = RegisterNumber(mem.index);
  if ((mem.base != ZYDIS_REGISTER_NONE && base == kNoRegister) ||
      (mem.index != ZYDIS_REGISTER_NONE && index == kNoRegister)) {
    return out;
  }
  out.base = base;
  out.index = index;
  if (index != kNoRegister) out.scale = mem.scale;
  out.displacement = mem.disp.value;
  return out;
}

class Classifier {
 public:
  explicit Classifier(const StoreContext& ctx) : ctx_(ctx) {}

  // Fills site.cls, .reason and .target for an explicit memory operand.
  void Classify(const ZydisDecodedInstruction& insn, const ZydisDecodedOperand& op,
                uint64_t address, bool rbp_is_frame, StoreSite& site) const {
    const ZydisDecodedOperandMem& mem = op.mem;
    bool registers = mem.index != ZYDIS_REGISTER_NONE ||
                     (mem.base != ZYDIS_REGISTER_NONE && mem.base != ZYDIS_REGISTER_RIP);
    if (mem.segment == ZYDIS_REGISTER_GS || mem.segment == ZYDIS_REGISTER_FS) {
      const char* seg = mem.segment == ZYDIS_REGISTER_GS ? "gs" : "fs";
      uint64_t offset = 0;
      if (mem.segment == ZYDIS_REGISTER_GS && !registers &&
          ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&insn, &op, address, &offset))) {
        // The kernel keeps this CPU's per-CPU area at gs's base: a fixed
        // offset names one variable, on whichever CPU runs it.
        site.cls = StoreClass::kFixedAddress;
        site.reason = "per-CPU (gs:) address " + Hex(offset);
        site.target = offset;
        return;
      }
      site.cls = StoreClass::kRuntime;
      site.reason = registers ? std::string(seg) + "-relative through " + AddressRegisters(mem)
                              : std::string(seg) + "-relative (segment base unknown)";
      return;
    }
    if (!registers) {
      uint64_t target = 0;
      if (!ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&insn, &op, address, &target))) {
        site.cls = StoreClass::kRuntime;
        site.reason = "address not computable";
        return;
      }
      const char* how = mem.base == ZYDIS_REGISTER_RIP ? "rip-relative" : "absolute address";
      site.target = target;
      for (size_t i = 0; i < ctx_.own_data.size(); ++i) {
        const OwnDataRange& r = ctx_.own_data[i];
        if (target < r.start || target >= r.end) continue;
        site.cls = StoreClass::kOwnData;
        site.reason = std::string(how) + " into own data " +
                      (r.name.empty() ? "range[" + std::to_string(i) + "]" : r.name);
        return;
      }
      site.cls = StoreClass::kFixedAddress;
      site.reason = std::string(how) + " " + Hex(target) + ", not own data";
      return;
    }
    if (mem.index == ZYDIS_REGISTER_NONE && mem.base == ZYDIS_REGISTER_RSP) {
      site.cls = StoreClass::kStackFrame;
      site.reason = "rsp-relative: the current frame";
      return;
    }
    if (mem.index == ZYDIS_REGISTER_NONE && mem.base == ZYDIS_REGISTER_RBP) {
      if (rbp_is_frame) {
        site.cls = StoreClass::kStackFrame;
        site.reason = "rbp-relative: the current frame";
        return;
      }
      site.cls = StoreClass::kRuntime;
      site.reason = "through rbp (no frame pointer set up)";
      return;
    }
    // An indexed stack slot is a stack array whose index could be anything.
    site.cls = StoreClass::kRuntime;
    site.reason = "through " + AddressRegisters(mem);
  }

  // The helper called or jumped to by `insn`, or null.
  const StoreHelper* Helper(const ZydisDecodedInstruction& insn,
                            const ZydisDecodedOperand* operands, uint64_t address,
                            uint64_t* target) const {
    bool branch = insn.meta.category == ZYDIS_CATEGORY_CALL ||
                  insn.meta.category == ZYDIS_CATEGORY_UNCOND_BR ||
                  insn.meta.category == ZYDIS_CATEGORY_COND_BR;
    if (!branch || insn.operand_count_visible == 0) return nullptr;
    const ZydisDecodedOperand& op = operands[0];
    if (op.type != ZYDIS_OPERAND_TYPE_IMMEDIATE || !op.imm.is_relative) return nullptr;
    if (!ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&insn, &op, address, target))) return nullptr;
    auto found = helpers_.find(*target);
    return found == helpers_.end() ? nullptr : found->second;
  }

  // At the symbol and past an ENDBR64, where kernels built for IBT make
  // direct calls land.
  void IndexHelpers() {
    for (const StoreHelper& h : ctx_.helpers) {
      helpers_.emplace(h.address, &h);
      helpers_.emplace(h.address + kEndbr64Bytes, &h);
    }
  }

 private:
  const StoreContext& ctx_;
  std::unordered_map<uint64_t, const StoreHelper*> helpers_;
};

}  // namespace

const char* StoreClassName(StoreClass cls) {
  switch (cls) {
    case StoreClass::kStackFrame:
      return "stack";
    case StoreClass::kOwnData:
      return "own-data";
    case StoreClass::kFixedAddress:
      return "fixed";
    case StoreClass::kRuntime:
      return "runtime";
    case StoreClass::kHelperCall:
      return "helper";
  }
  return "?";
}

void StoreAnalysis::Add(const StoreAnalysis& other) {
  sites.insert(sites.end(), other.sites.begin(), other.sites.end());
  undecodable_bytes += other.undecodable_bytes;
  for (size_t i = 0; i < kStoreClassCount; ++i) counts[i] += other.counts[i];
}

StoreAnalysis FindStores(const uint8_t* code, size_t size, uint64_t base,
                         const StoreContext& ctx) {
  StoreAnalysis found;
  ZydisFormatter formatter;
  ZydisFormatterInit(&formatter, ZYDIS_FORMATTER_STYLE_INTEL);
  // As objdump and the kernel print addresses: lowercase, unpadded.
  ZydisFormatterSetProperty(&formatter, ZYDIS_FORMATTER_PROP_HEX_UPPERCASE, ZYAN_FALSE);
  ZydisFormatterSetProperty(&formatter, ZYDIS_FORMATTER_PROP_ADDR_PADDING_ABSOLUTE,
                            ZYDIS_PADDING_DISABLED);
  Classifier classifier(ctx);
  classifier.IndexHelpers();
  bool rbp_is_frame = false;
  found.undecodable_bytes = DecodeLinear(code, size, base, [&](const ZydisDecodedInstruction& insn,
                                                               const ZydisDecodedOperand* operands,
                                                               uint64_t address) {

    StoreSite site;
    bool is_store = false;
    uint64_t helper_target = 0;
    if (const StoreHelper* helper = classifier.Helper(insn, operands, address, &helper_target)) {
      is_store = true;
      site.cls = StoreClass::kHelperCall;
      site.target = helper_target;
      const std::string destination =
          absl::StrCat(": destination ", GeneralRegisterName(helper->destination_register));
      site.reason = insn.meta.category == ZYDIS_CATEGORY_CALL
                        ? "call " + helper->name + destination
                        : "jmp " + helper->name + " (tail call)" + destination;
      site.operand.base = helper->destination_register;
      site.operand.length_register = helper->length_register;
    } else if (insn.meta.category != ZYDIS_CATEGORY_NOP &&
               insn.meta.category != ZYDIS_CATEGORY_WIDENOP &&
               insn.meta.category != ZYDIS_CATEGORY_PREFETCH) {
      const bool string = insn.meta.category == ZYDIS_CATEGORY_STRINGOP ||
                          insn.meta.category == ZYDIS_CATEGORY_IOSTRINGOP;
      // At most one memory operand per instruction is written (movs reads
      // the other): the first one found is the site.
      for (uint8_t i = 0; i < insn.operand_count && !is_store; ++i) {
        const ZydisDecodedOperand& op = operands[i];
        if (!WritesMemory(op)) continue;
        if (op.visibility == ZYDIS_OPERAND_VISIBILITY_EXPLICIT) {
          classifier.Classify(insn, op, address, rbp_is_frame, site);
        } else if (op.mem.base == ZYDIS_REGISTER_RSP) {
          continue;  // push, call, enter: the slot below the frame, its own
        } else {
          // A destination the instruction implies: movs/stos/ins through rdi,
          // maskmovdqu through rdi.
          site.cls = StoreClass::kRuntime;
          site.reason = std::string(string ? "string store" : "implicit store") + " through " +
                        AddressRegisters(op.mem);
        }
        site.width_bytes = static_cast<uint8_t>(op.size / 8);
        if (site.cls == StoreClass::kRuntime) {
          site.operand = OperandOf(op.mem);
          // rep movs/stos/ins write rcx elements from rdi on (the kernel
          // runs with the direction flag clear).
          if (string && (insn.attributes & ZYDIS_ATTRIB_HAS_REP) != 0) {
            site.operand.length_register = kRcx;
            site.operand.length_scale = site.width_bytes;
          }
        }
        is_store = true;
      }
    }
    // After classifying: `mov [rbp-8], rbp`-like forms use the old rbp.
    if (IsMovRbpRsp(insn, operands)) {
      rbp_is_frame = true;
    } else if (WritesRbp(insn, operands)) {
      rbp_is_frame = false;
    }
    if (!is_store) return;

    site.address = address;
    site.length = insn.length;
    char text[256];
    if (ZYAN_SUCCESS(ZydisFormatterFormatInstruction(&formatter, &insn, operands,
                                                     insn.operand_count_visible, text,
                                                     sizeof(text), address, nullptr))) {
      site.text = text;
    }
    ++found.counts[static_cast<size_t>(site.cls)];
    found.sites.push_back(std::move(site));
  });
  return found;
}

namespace {

// One line per site of [first, last).
std::string FormatSites(std::vector<StoreSite>::const_iterator first,
                        std::vector<StoreSite>::const_iterator last,
                        const std::function<std::string(uint64_t)>& format_address) {
  std::string out;
  for (; first != last; ++first) {
    const StoreSite& s = *first;
    std::string where = format_address ? format_address(s.address) : Hex(s.address);
    absl::StrAppendFormat(&out, "  %-24s  %-8s  %-40s  %s\n", where, StoreClassName(s.cls),
                          s.reason, s.text);
  }
  return out;
}

// "stores: 14 (stack 2, own-data 2, fixed 2, runtime 7, helper 1)".
std::string FormatCounts(const std::array<uint64_t, kStoreClassCount>& counts) {
  uint64_t total = 0;
  std::string classes;
  for (size_t i = 0; i < kStoreClassCount; ++i) {
    total += counts[i];
    if (i > 0) classes += ", ";
    classes += std::string(StoreClassName(static_cast<StoreClass>(i))) + " " +
               std::to_string(counts[i]);
  }
  return "stores: " + std::to_string(total) + " (" + classes + ")";
}

}  // namespace

std::string FormatStoreReport(const StoreAnalysis& analysis,
                              const std::function<std::string(uint64_t)>& format_address) {
  return FormatSites(analysis.sites.begin(), analysis.sites.end(), format_address) +
         FormatStoreSummary(analysis) + "\n";
}

std::string FormatStoreSummary(const StoreAnalysis& analysis) {
  return FormatCounts(analysis.counts) +
         "; undecodable bytes: " + std::to_string(analysis.undecodable_bytes);
}

std::string FormatStoreReport(const StoreAnalysis& analysis, uint64_t start, uint64_t end,
                              const std::function<std::string(uint64_t)>& format_address) {
  auto by_address = [](const StoreSite& s, uint64_t a) { return s.address < a; };
  auto first = std::lower_bound(analysis.sites.begin(), analysis.sites.end(), start, by_address);
  auto last = std::lower_bound(first, analysis.sites.end(), end, by_address);
  std::array<uint64_t, kStoreClassCount> counts{};
  for (auto it = first; it != last; ++it) ++counts[static_cast<size_t>(it->cls)];
  return FormatSites(first, last, format_address) + FormatCounts(counts) + "\n";
}

int8_t ArgumentRegister(uint32_t index) {
  static constexpr int8_t kArguments[] = {kRdi, 6 /* rsi */, kRdx, kRcx, 8 /* r8 */, 9 /* r9 */};
  return index < 6 ? kArguments[index] : kNoRegister;
}

std::vector<StoreHelper> FindStoreHelpers(const Kallsyms& kallsyms) {
  std::vector<StoreHelper> helpers;
  for (const KnownHelper& known : kStoreHelpers) {
    for (const Symbol* s : kallsyms.FindAll(known.name)) {
      if (s->IsText()) helpers.push_back({s->address, known.name, known.length_register});
    }
  }
  return helpers;
}

}  // namespace o2c::bpf
