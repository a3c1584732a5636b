#include "o2c/bpf/kernel/store_sites.h"

#include <Zydis/Zydis.h>

#include <string>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "o2c/bpf/kernel/x86_decoder.h"

namespace o2c::bpf {
namespace {

std::string Hex(uint64_t value) { return absl::StrCat("0x", absl::Hex(value)); }

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
  const std::string* Helper(const ZydisDecodedInstruction& insn,
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

  void IndexHelpers() {
    for (const StoreHelper& h : ctx_.helpers) helpers_.emplace(h.address, &h.name);
  }

 private:
  const StoreContext& ctx_;
  std::unordered_map<uint64_t, const std::string*> helpers_;
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
    if (const std::string* helper = classifier.Helper(insn, operands, address, &helper_target)) {
      is_store = true;
      site.cls = StoreClass::kHelperCall;
      site.target = helper_target;
      site.reason = insn.meta.category == ZYDIS_CATEGORY_CALL
                        ? "call " + *helper + ": destination rdi"
                        : "jmp " + *helper + " (tail call): destination rdi";
    } else if (insn.meta.category != ZYDIS_CATEGORY_NOP &&
               insn.meta.category != ZYDIS_CATEGORY_WIDENOP &&
               insn.meta.category != ZYDIS_CATEGORY_PREFETCH) {
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
          bool string = insn.meta.category == ZYDIS_CATEGORY_STRINGOP ||
                        insn.meta.category == ZYDIS_CATEGORY_IOSTRINGOP;
          site.reason = std::string(string ? "string store" : "implicit store") + " through " +
                        AddressRegisters(op.mem);
        }
        site.width_bytes = static_cast<uint8_t>(op.size / 8);
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

std::string FormatStoreReport(const StoreAnalysis& analysis,
                              const std::function<std::string(uint64_t)>& format_address) {
  std::string out;
  for (const StoreSite& s : analysis.sites) {
    std::string where = format_address ? format_address(s.address) : Hex(s.address);
    absl::StrAppendFormat(&out, "  %-24s  %-8s  %-40s  %s\n", where, StoreClassName(s.cls),
                          s.reason, s.text);
  }
  out += FormatStoreSummary(analysis);
  out += "\n";
  return out;
}

std::string FormatStoreSummary(const StoreAnalysis& analysis) {
  uint64_t total = 0;
  std::string classes;
  for (size_t i = 0; i < kStoreClassCount; ++i) {
    total += analysis.counts[i];
    if (i > 0) classes += ", ";
    classes += std::string(StoreClassName(static_cast<StoreClass>(i))) + " " +
               std::to_string(analysis.counts[i]);
  }
  return "stores: " + std::to_string(total) + " (" + classes +
         "); undecodable bytes: " + std::to_string(analysis.undecodable_bytes);
}

}  // namespace o2c::bpf
