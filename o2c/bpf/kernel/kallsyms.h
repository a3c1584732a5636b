// Kallsyms: the running kernel's symbol table, parsed from /proc/kallsyms.
//
// Lookups by name, by address ("alloc_pipe_info+0x1a") and function ranges
// (a text symbol's start up to the next symbol at a higher address). Needs
// real addresses: when they all read as zero (not root, kernel.kptr_restrict)
// loading fails with a clear error instead of yielding a table of zeros.
#ifndef O2C_BPF_KERNEL_KALLSYMS_H_
#define O2C_BPF_KERNEL_KALLSYMS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace o2c::bpf {

// One line of /proc/kallsyms.
struct Symbol {
  uint64_t address = 0;
  char type = '?';     // nm-style: T/t text, D/d data, B/b bss, R/r rodata, ...
  std::string name;
  std::string module;  // "" for vmlinux

  bool IsText() const { return type == 'T' || type == 't' || type == 'W' || type == 'w'; }
};

// A half-open address range [start, end).
struct AddressRange {
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t size() const { return end - start; }
  bool Contains(uint64_t address) const { return address >= start && address < end; }
};

// An address resolved to the symbol at or below it.
struct SymbolOffset {
  const Symbol* symbol = nullptr;
  uint64_t offset = 0;
};

class Kallsyms {
 public:
  // Parses `path` (default: the running kernel's table).
  static absl::StatusOr<Kallsyms> FromFile(const std::string& path = "/proc/kallsyms");
  // Parses kallsyms-format text; `source` names it in errors ("file:line: ...").
  static absl::StatusOr<Kallsyms> FromText(absl::string_view text,
                                           absl::string_view source = "<text>");

  // Every symbol called `name` (static functions may share a name), by address.
  std::vector<const Symbol*> FindAll(absl::string_view name) const;
  // The lowest-addressed symbol called `name`, or nullptr.
  const Symbol* Find(absl::string_view name) const;

  // The symbol at or below `address` and the offset into it. NotFound below
  // the first symbol.
  absl::StatusOr<SymbolOffset> Symbolize(uint64_t address) const;
  // "name+0xoff" (or "name" at offset 0, or "0x<address>" if unknown).
  std::string Format(uint64_t address) const;

  // [start, next higher symbol) of the text symbol `sym` (which must be one of
  // this table's).
  AddressRange RangeOf(const Symbol& sym) const;
  // The range of the text symbol `name`: NotFound, naming it, when absent or
  // not code; FailedPrecondition when the name is ambiguous (several
  // distinct functions).
  absl::StatusOr<AddressRange> FunctionRange(absl::string_view name) const;

  // Text symbols whose names are closest to `name` by edit distance (at most
  // `max_results`, each within a third of the name's length), best first.
  std::vector<std::string> SuggestFunctions(absl::string_view name,
                                            size_t max_results = 3) const;

  // The kernel's text, [_stext, _etext): NotFound if either is missing.
  absl::StatusOr<AddressRange> KernelText() const;

  // Every symbol, sorted by address.
  const std::vector<Symbol>& symbols() const { return symbols_; }
  size_t size() const { return symbols_.size(); }

 private:
  std::vector<Symbol> symbols_;               // by address, then name
  std::vector<uint32_t> by_name_;             // indexes into symbols_, by name
};

}  // namespace o2c::bpf

#endif  // O2C_BPF_KERNEL_KALLSYMS_H_
