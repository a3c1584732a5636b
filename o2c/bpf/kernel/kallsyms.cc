#include "o2c/bpf/kernel/kallsyms.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "o2c/internal/edit_distance.h"
#include "o2c/internal/file_util.h"
#include "o2c/internal/status_macros.h"

namespace o2c::bpf {
absl::StatusOr<Kallsyms> Kallsyms::FromFile(const std::string& path) {
  O2C_ASSIGN_OR_RETURN(std::string text, internal::ReadFileBytes(path));
  return FromText(text, path);
}

absl::StatusOr<Kallsyms> Kallsyms::FromText(absl::string_view text,
                                            absl::string_view source) {
  Kallsyms table;
  size_t line_number = 0;
  bool any_nonzero = false;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    if (line.empty()) continue;
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    Symbol sym;
    if (fields.size() < 3 || fields[1].size() != 1 ||
        !absl::SimpleHexAtoi(fields[0], &sym.address)) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ":", line_number,
                       ": not a kallsyms line (want '<hex address> <type> <name> "
                       "[module]'): '", line, "'"));
    }
    sym.type = fields[1][0];
    sym.name = std::string(fields[2]);
    if (fields.size() > 3) {
      absl::string_view module = fields[3];
      if (module.size() >= 2 && module.front() == '[' && module.back() == ']') {
        module = module.substr(1, module.size() - 2);
      }
      sym.module = std::string(module);
    }
    any_nonzero |= sym.address != 0;
    table.symbols_.push_back(std::move(sym));
  }
  if (table.symbols_.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": no symbols"));
  }
  if (!any_nonzero) {
    return absl::PermissionDeniedError(absl::StrCat(
        source, ": all ", table.symbols_.size(),
        " addresses read as 0: run as root, with kernel.kptr_restrict < 2"));
  }
  std::stable_sort(table.symbols_.begin(), table.symbols_.end(),
                   [](const Symbol& a, const Symbol& b) { return a.address < b.address; });
  table.by_name_.resize(table.symbols_.size());
  for (uint32_t i = 0; i < table.by_name_.size(); ++i) table.by_name_[i] = i;
  std::stable_sort(table.by_name_.begin(), table.by_name_.end(),
                   [&](uint32_t a, uint32_t b) {
                     return table.symbols_[a].name < table.symbols_[b].name;
                   });
  return table;
}

std::vector<const Symbol*> Kallsyms::FindAll(absl::string_view name) const {
  auto lower = std::lower_bound(
      by_name_.begin(), by_name_.end(), name,
      [&](uint32_t i, absl::string_view n) { return symbols_[i].name < n; });
  std::vector<const Symbol*> found;
  for (auto it = lower; it != by_name_.end() && symbols_[*it].name == name; ++it) {
    found.push_back(&symbols_[*it]);
  }
  return found;  // by address: by_name_ is a stable sort of address order
}

const Symbol* Kallsyms::Find(absl::string_view name) const {
  std::vector<const Symbol*> found = FindAll(name);
  return found.empty() ? nullptr : found.front();
}

absl::StatusOr<SymbolOffset> Kallsyms::Symbolize(uint64_t address) const {
  auto above = std::upper_bound(
      symbols_.begin(), symbols_.end(), address,
      [](uint64_t a, const Symbol& s) { return a < s.address; });
  if (above == symbols_.begin()) {
    return absl::NotFoundError(
        absl::StrCat("0x", absl::Hex(address), ": below the first kernel symbol"));
  }
  const Symbol& sym = *(above - 1);
  return SymbolOffset{&sym, address - sym.address};
}

std::string Kallsyms::Format(uint64_t address) const {
  absl::StatusOr<SymbolOffset> at = Symbolize(address);
  if (!at.ok()) return absl::StrCat("0x", absl::Hex(address));
  if (at->offset == 0) return at->symbol->name;
  return absl::StrCat(at->symbol->name, "+0x", absl::Hex(at->offset));
}

AddressRange Kallsyms::RangeOf(const Symbol& sym) const {
  auto above = std::upper_bound(
      symbols_.begin(), symbols_.end(), sym.address,
      [](uint64_t a, const Symbol& s) { return a < s.address; });
  uint64_t end = above == symbols_.end() ? sym.address + 1 : above->address;
  return AddressRange{sym.address, end};
}

absl::StatusOr<AddressRange> Kallsyms::FunctionRange(absl::string_view name) const {
  std::vector<const Symbol*> found;
  for (const Symbol* sym : FindAll(name)) {
    if (sym->IsText()) found.push_back(sym);
  }
  if (found.empty()) {
    std::string message = absl::StrCat("function '", name, "' is not in kallsyms");
    std::vector<std::string> near = SuggestFunctions(name);
    if (!near.empty()) {
      absl::StrAppend(&message, "; did you mean '", near.front(), "'?");
    }
    return absl::NotFoundError(message);
  }
  for (const Symbol* sym : found) {
    if (sym->address != found.front()->address) {
      return absl::FailedPreconditionError(absl::StrCat(
          "function '", name, "' is ambiguous: ", found.size(),
          " functions share the name (first at 0x", absl::Hex(found.front()->address),
          ")"));
    }
  }
  return RangeOf(*found.front());
}

absl::StatusOr<AddressRange> Kallsyms::KernelText() const {
  const Symbol* stext = Find("_stext");
  const Symbol* etext = Find("_etext");
  if (stext == nullptr || etext == nullptr) {
    return absl::NotFoundError("kallsyms: no _stext/_etext: cannot bound kernel text");
  }
  return AddressRange{stext->address, etext->address};
}

std::vector<std::string> Kallsyms::SuggestFunctions(absl::string_view name,
                                                    size_t max_results) const {
  size_t limit = std::max<size_t>(1, name.size() / 3);
  std::vector<std::pair<size_t, std::string>> scored;
  for (const Symbol& sym : symbols_) {
    if (!sym.IsText()) continue;
    size_t d = o2c::EditDistance(name, sym.name, limit);
    // A name that merely gained a prefix or suffix (pipe_write ->
    // anon_pipe_write) is a good suggestion even past the edit limit.
    bool affix = sym.name.size() > name.size() &&
                 absl::string_view(sym.name).find(name) != absl::string_view::npos;
    if (d <= limit || affix) {
      scored.emplace_back(affix ? std::min(d, sym.name.size() - name.size()) : d,
                          sym.name);
    }
  }
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> names;
  for (auto& [distance, n] : scored) {
    if (names.size() == max_results) break;
    if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
  }
  return names;
}

}  // namespace o2c::bpf
