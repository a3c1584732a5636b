#include "o2c/compartment.h"

#include <dirent.h>
#include <fnmatch.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "o2c/bpf/kernel/call_sites.h"
#include "o2c/internal/file_util.h"
#include "o2c/internal/status_macros.h"

namespace o2c {
namespace {

using bpf::AddressRange;
using bpf::Kallsyms;
using bpf::Symbol;
using policy::FunctionEntry;

// Below this many data symbols, kallsyms was built without
// CONFIG_KALLSYMS_ALL (this host lists 35 of 122k): data symbols are absent,
// not misspelled.
constexpr size_t kFewDataSymbols = 1000;

bool IsData(const Symbol& s) {
  switch (s.type) {
    case 'D': case 'd': case 'B': case 'b': case 'R': case 'r': case 'G': case 'g':
      return true;
    default:
      return false;
  }
}

// Calls through these are indirect (retpolines, static calls): the real
// callee is not in the instruction.
bool IsIndirectTrampoline(absl::string_view name) {
  return absl::StartsWith(name, "__x86_indirect_") || absl::StartsWith(name, "__SCT__") ||
         absl::StartsWith(name, "__x86_return_thunk");
}

}  // namespace

class Compartment::Resolver {
 public:
  Resolver(const Policy& policy, const Kallsyms& kallsyms, const Options& options,
           Compartment* out)
      : policy_(policy), kallsyms_(kallsyms), options_(options), out_(out) {}

  absl::Status Run() {
    out_->name_ = policy_.name();
    const policy::CompartmentSpec& spec = policy_.spec().compartment();
    if (spec.has_module()) O2C_RETURN_IF_ERROR(AddModule(spec.module()));
    for (size_t i = 0; i < policy_.functions().size(); ++i) {
      O2C_RETURN_IF_ERROR(AddFunction(policy_.functions()[i], i));
    }
    for (int i = 0; i < spec.pattern_size(); ++i) {
      O2C_RETURN_IF_ERROR(AddPattern(spec.pattern(i), i));
    }
    for (int i = 0; i < spec.range_size(); ++i) {
      AddCode(absl::StrCat("range[", i, "]"), {spec.range(i).start(), spec.range(i).end()});
    }
    O2C_RETURN_IF_ERROR(MergeCode());
    O2C_RETURN_IF_ERROR(AddDataSymbols());
    std::sort(out_->data_.begin(), out_->data_.end(), [](const auto& a, const auto& b) {
      return a.range.start < b.range.start;
    });
    return FindSites();
  }

 private:
  std::string Where(absl::string_view field, size_t index) const {
    return absl::StrCat(policy_.source(), ": ", field, "[", index, "]");
  }

  void Note(std::string note) { out_->notes_.push_back(std::move(note)); }

  void AddCode(std::string name, AddressRange range) {
    out_->code_.push_back({std::move(name), range});
  }

  // The text symbols of the first alternative of `entry` that has any.
  std::vector<const Symbol*> FindText(const FunctionEntry& entry, std::string* chosen) const {
    for (const std::string& name : entry.alternatives) {
      std::vector<const Symbol*> found;
      for (const Symbol* s : kallsyms_.FindAll(name)) {
        if (s->IsText()) found.push_back(s);
      }
      if (!found.empty()) {
        *chosen = name;
        return found;
      }
    }
    return {};
  }

  absl::Status Missing(const FunctionEntry& entry, absl::string_view field, size_t index) {
    if (entry.optional) {
      Note(absl::StrCat(Where(field, index), ": '", entry.ToString(),
                        "' is not on this kernel (optional: skipped)"));
      return absl::OkStatus();
    }
    std::string message = absl::StrCat(
        Where(field, index), ": function '", entry.ToString(), "' is not on this kernel");
    for (const std::string& name : entry.alternatives) {
      std::vector<std::string> near = kallsyms_.SuggestFunctions(name, 3);
      if (near.empty()) continue;
      absl::StrAppend(&message, "; did you mean ", near.size() > 1 ? "one of " : "", "'",
                      absl::StrJoin(near, "', '"), "'?");
      break;
    }
    return absl::NotFoundError(message);
  }

  absl::Status AddFunction(const FunctionEntry& entry, size_t index) {
    std::string name;
    std::vector<const Symbol*> found = FindText(entry, &name);
    if (found.empty()) return Missing(entry, "compartment.function", index);
    if (found.size() > 1) {
      Note(absl::StrCat("'", name, "': ", found.size(),
                        " static functions share the name; all are included"));
    }
    for (const Symbol* s : found) AddCode(name, kallsyms_.RangeOf(*s));
    // The compiler's out-of-line cold part belongs to the function too.
    for (const Symbol* s : kallsyms_.FindAll(name + ".cold")) {
      if (s->IsText()) AddCode(s->name, kallsyms_.RangeOf(*s));
    }
    return absl::OkStatus();
  }

  absl::Status AddPattern(const std::string& pattern, size_t index) {
    size_t matched = 0;
    for (const Symbol& s : kallsyms_.symbols()) {
      if (!s.IsText() || absl::StartsWith(s.name, "__pfx_")) continue;
      if (fnmatch(pattern.c_str(), s.name.c_str(), 0) != 0) continue;
      AddCode(s.name, kallsyms_.RangeOf(s));
      ++matched;
    }
    if (matched == 0) {
      return absl::NotFoundError(absl::StrCat(Where("compartment.pattern", index), ": '",
                                              pattern, "' matches no function"));
    }
    return absl::OkStatus();
  }

  // A module is its whole extent in /proc/modules (cold paths live outside
  // .text) and its data sections from /sys/module/NAME/sections.
  absl::Status AddModule(const std::string& module) {
    absl::StatusOr<std::string> text = internal::ReadFileBytes(options_.proc_modules);
    if (!text.ok()) {
      return absl::Status(text.status().code(),
                          absl::StrCat(policy_.source(), ": compartment.module '", module,
                                       "': ", text.status().message()));
    }
    std::istringstream modules(*text);
    std::string line;
    while (std::getline(modules, line)) {
      std::istringstream fields(line);
      std::string name, state, address_text;
      uint64_t size = 0, address = 0;
      std::string refs, deps;
      fields >> name >> size >> refs >> deps >> state >> address_text;
      if (name != module) continue;
      if (!absl::SimpleHexAtoi(address_text, &address) || address == 0) {
        return absl::PermissionDeniedError(absl::StrCat(
            policy_.source(), ": compartment.module: ", options_.proc_modules,
            " shows no address for '", module, "' (run as root)"));
      }
      AddCode(module, {address, address + size});
      AddModuleSections(module);
      return absl::OkStatus();
    }
    return absl::NotFoundError(absl::StrCat(policy_.source(), ": compartment.module: '",
                                            module, "' is not loaded (not in ",
                                            options_.proc_modules, ")"));
  }

  // Sysfs gives each section's start only: a section ends where the next
  // one starts (an over-approximation for the last of each kind).
  void AddModuleSections(const std::string& module) {
    std::string dir = absl::StrCat(options_.sys_module, "/", module, "/sections");
    std::map<uint64_t, std::string> sections;
    if (DIR* d = opendir(dir.c_str())) {
      while (dirent* e = readdir(d)) {
        uint64_t address = 0;
        // An unreadable section (".", "..") has no address: skipped.
        std::string text =
            internal::ReadFileBytes(absl::StrCat(dir, "/", e->d_name)).value_or("");
        while (!text.empty() && isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
        if (e->d_name[0] == '.' && absl::SimpleHexAtoi(text, &address) && address != 0) {
          sections[address] = e->d_name;
        }
      }
      closedir(d);
    }
    for (auto it = sections.begin(); it != sections.end(); ++it) {
      const std::string& name = it->second;
      bool data = absl::StartsWith(name, ".data") || absl::StartsWith(name, ".bss") ||
                  absl::StartsWith(name, ".rodata");
      auto next = std::next(it);
      if (!data || next == sections.end()) continue;
      out_->data_.push_back({absl::StrCat(module, ":", name), {it->first, next->first}});
    }
    if (out_->data_.empty()) {
      Note(absl::StrCat("module '", module, "': no data sections readable in ", dir));
    }
  }

  // Disjoint, sorted code: a function named twice (by name and by pattern)
  // counts once; overlapping different ranges are a policy mistake.
  absl::Status MergeCode() {
    auto& code = out_->code_;
    std::sort(code.begin(), code.end(), [](const NamedRange& a, const NamedRange& b) {
      return a.range.start != b.range.start ? a.range.start < b.range.start
                                            : a.range.end > b.range.end;
    });
    std::vector<NamedRange> merged;
    for (NamedRange& r : code) {
      if (!merged.empty() && r.range.start < merged.back().range.end) {
        if (r.range.end <= merged.back().range.end) continue;  // inside: already there
        return absl::InvalidArgumentError(absl::StrCat(
            policy_.source(), ": compartment code '", r.name, "' overlaps '",
            merged.back().name, "' partially"));
      }
      merged.push_back(std::move(r));
    }
    code = std::move(merged);
    if (code.empty()) {
      return absl::NotFoundError(absl::StrCat(
          policy_.source(), ": compartment: no code on this kernel (every entry optional "
                            "and absent)"));
    }
    return absl::OkStatus();
  }

  absl::Status AddDataSymbols() {
    if (policy_.data_symbols().empty()) return absl::OkStatus();
    size_t data_symbols = std::count_if(kallsyms_.symbols().begin(),
                                        kallsyms_.symbols().end(), IsData);
    bool complete = data_symbols >= kFewDataSymbols;
    for (size_t i = 0; i < policy_.data_symbols().size(); ++i) {
      const FunctionEntry& entry = policy_.data_symbols()[i];
      const Symbol* found = nullptr;
      for (const std::string& name : entry.alternatives) {
        for (const Symbol* s : kallsyms_.FindAll(name)) {
          if (IsData(*s) && !found) found = s;
        }
      }
      if (found) {
        out_->data_.push_back({found->name, kallsyms_.RangeOf(*found)});
      } else if (!complete) {
        Note(absl::StrCat(Where("compartment.data_symbol", i), ": '", entry.ToString(),
                          "' unresolved: kallsyms lists only ", data_symbols,
                          " data symbols (kernel built without CONFIG_KALLSYMS_ALL)"));
      } else if (entry.optional) {
        Note(absl::StrCat(Where("compartment.data_symbol", i), ": '", entry.ToString(),
                          "' is not on this kernel (optional: skipped)"));
      } else {
        return absl::NotFoundError(absl::StrCat(Where("compartment.data_symbol", i),
                                                ": data symbol '", entry.ToString(),
                                                "' is not on this kernel"));
      }
    }
    return absl::OkStatus();
  }

  // Entry addresses of allocator or free functions -> their names. A call may
  // target the function's __pfx_ padding (call depth tracking), so that too.
  absl::Status CollectTargets(const std::vector<FunctionEntry>& entries,
                              absl::string_view field, CallSite::Kind kind) {
    for (size_t i = 0; i < entries.size(); ++i) {
      std::string name;
      std::vector<const Symbol*> found = FindText(entries[i], &name);
      if (found.empty()) {
        if (!entries[i].optional) O2C_RETURN_IF_ERROR(Missing(entries[i], field, i));
        continue;
      }
      for (const Symbol* s : found) targets_[s->address] = {name, kind};
      for (const Symbol* s : kallsyms_.FindAll("__pfx_" + name)) {
        targets_[s->address] = {name, kind};
      }
    }
    return absl::OkStatus();
  }

  absl::Status FindSites() {
    // Absent optional allocators are normal (no kernel has every name): no note.
    bool defaults = policy_.spec().sites().allocator_size() == 0;
    O2C_RETURN_IF_ERROR(CollectTargets(policy_.allocators(), "sites.allocator",
                                       CallSite::Kind::kAlloc));
    if (defaults && targets_.empty()) Note("no default allocator exists on this kernel");
    O2C_RETURN_IF_ERROR(CollectTargets(policy_.frees(), "sites.free", CallSite::Kind::kFree));
    if (options_.text == nullptr) {
      out_->sites_exact_ = false;
      Note("kernel text unreadable: no call sites; any call_site inside the code ranges "
           "counts as the compartment's");
      return absl::OkStatus();
    }
    out_->text_source_ = options_.text->Describe();
    out_->sites_exact_ = true;
    size_t indirect = 0, trampolines = 0, undecodable = 0;
    for (const NamedRange& r : out_->code_) {
      absl::StatusOr<std::vector<uint8_t>> bytes = options_.text->Read(r.range.start,
                                                                       r.range.size());
      if (!bytes.ok()) {
        out_->sites_exact_ = false;
        Note(absl::StrCat("'", r.name, "': code unreadable (", bytes.status().message(),
                          "): any call_site inside it counts"));
        continue;
      }
      bpf::DecodedCalls calls = bpf::FindCalls(bytes->data(), bytes->size(), r.range.start);
      indirect += calls.indirect_calls.size();
      undecodable += calls.undecodable_bytes;
      for (const bpf::CallInstruction& call : calls.calls) {
        auto target = targets_.find(call.target);
        if (target == targets_.end()) {
          absl::StatusOr<bpf::SymbolOffset> at = kallsyms_.Symbolize(call.target);
          if (at.ok() && IsIndirectTrampoline(at->symbol->name)) ++trampolines;
          continue;
        }
        CallSite site{target->second.second, target->second.first, r.name, call.address,
                      call.return_address, call.tail};
        (site.kind == CallSite::Kind::kAlloc ? out_->alloc_sites_ : out_->free_sites_)
            .push_back(site);
      }
    }
    if (indirect + trampolines > 0) {
      Note(absl::StrCat(indirect + trampolines, " indirect calls (", trampolines,
                        " through retpoline/static-call trampolines) are not resolved: "
                        "an allocator called through a pointer is not a site"));
    }
    if (undecodable > 0) {
      Note(absl::StrCat(undecodable, " bytes of padding or data did not decode"));
    }
    return absl::OkStatus();
  }

  const Policy& policy_;
  const Kallsyms& kallsyms_;
  const Options& options_;
  Compartment* out_;
  std::map<uint64_t, std::pair<std::string, CallSite::Kind>> targets_;
};

absl::StatusOr<Compartment> Compartment::Resolve(const Policy& policy,
                                                 const Kallsyms& kallsyms) {
  absl::StatusOr<std::unique_ptr<bpf::KernelTextReader>> reader = bpf::OpenKernelTextReader();
  Options options;
  if (reader.ok()) options.text = reader->get();
  O2C_ASSIGN_OR_RETURN(Compartment c, Resolve(policy, kallsyms, options));
  if (!reader.ok()) c.notes_.push_back(std::string(reader.status().message()));
  return c;
}

absl::StatusOr<Compartment> Compartment::Resolve(const Policy& policy,
                                                 const Kallsyms& kallsyms,
                                                 const Options& options) {
  Compartment c;
  O2C_RETURN_IF_ERROR(Resolver(policy, kallsyms, options, &c).Run());
  return c;
}

bool Compartment::ContainsCode(uint64_t address) const {
  auto above = std::upper_bound(code_.begin(), code_.end(), address,
                                [](uint64_t a, const NamedRange& r) { return a < r.range.start; });
  return above != code_.begin() && (above - 1)->range.Contains(address);
}

uint64_t Compartment::code_bytes() const {
  uint64_t total = 0;
  for (const NamedRange& r : code_) total += r.range.size();
  return total;
}

std::string Compartment::Format(const Kallsyms& kallsyms) const {
  std::string out = absl::StrFormat("compartment '%s': %d code ranges, %d bytes\n", name_,
                                    code_.size(), code_bytes());
  for (const NamedRange& r : code_) {
    absl::StrAppendFormat(&out, "  code  %-28s 0x%x-0x%x %6d bytes\n", r.name, r.range.start,
                          r.range.end, r.range.size());
  }
  for (const NamedRange& r : data_) {
    absl::StrAppendFormat(&out, "  data  %-28s 0x%x-0x%x %6d bytes\n", r.name, r.range.start,
                          r.range.end, r.range.size());
  }
  absl::StrAppendFormat(&out, "%d allocation sites, %d free sites (%s)\n", alloc_sites_.size(),
                        free_sites_.size(),
                        sites_exact_ ? absl::StrCat("code read with ", text_source_)
                                     : std::string("inexact: see notes"));
  for (const auto* sites : {&alloc_sites_, &free_sites_}) {
    for (const CallSite& s : *sites) {
      absl::StrAppendFormat(&out, "  %-5s %-32s %s %-26s call_site %s%s\n",
                            s.kind == CallSite::Kind::kAlloc ? "alloc" : "free",
                            kallsyms.Format(s.call_address), s.tail ? "jmp " : "call",
                            s.callee, kallsyms.Format(s.return_address),
                            s.tail ? " (tail call: the caller's address is reported)" : "");
    }
  }
  for (const std::string& note : notes_) absl::StrAppend(&out, "note: ", note, "\n");
  return out;
}

}  // namespace o2c
