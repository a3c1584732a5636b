#include "o2c/compartment.h"

#include <dirent.h>
#include <fnmatch.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/container/flat_hash_set.h"
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

  // A function's code and the padding the kernel puts right before it
  // ("__pfx_name": nops, or call thunks on some builds). Including the
  // padding lets neighbouring functions of one compartment merge into one
  // range, so a component of hundreds of functions needs few ranges.
  void AddFunctionCode(const Symbol& s) {
    AddressRange range = kallsyms_.RangeOf(s);
    for (const Symbol* pfx : kallsyms_.FindAll(absl::StrCat("__pfx_", s.name))) {
      AddressRange padding = kallsyms_.RangeOf(*pfx);
      if (pfx->IsText() && padding.end == range.start) range.start = padding.start;
    }
    AddCode(s.name, range);
  }

  // The compiler's out-of-line parts and specialized copies of `name`
  // ("name.cold", "name.constprop.0", "name.isra.0", "name.part.0"): its code
  // too, and all of it when every caller was given a copy.
  std::vector<const Symbol*> CompilerCopies(const std::string& name) const {
    static constexpr absl::string_view kSuffixes[] = {"cold", "constprop", "isra", "part",
                                                      "lto_priv"};
    std::vector<const Symbol*> copies;
    const std::string prefix = name + ".";
    for (const Symbol& s : kallsyms_.symbols()) {
      if (!s.IsText() || !absl::StartsWith(s.name, prefix)) continue;
      absl::string_view rest = absl::string_view(s.name).substr(prefix.size());
      for (absl::string_view suffix : kSuffixes) {
        if (absl::StartsWith(rest, suffix)) {
          copies.push_back(&s);
          break;
        }
      }
    }
    return copies;
  }

  // The text symbols of the first alternative of `entry` that has any,
  // compiler copies included.
  std::vector<const Symbol*> FindText(const FunctionEntry& entry, std::string* chosen) const {
    for (const std::string& name : entry.alternatives) {
      std::vector<const Symbol*> found;
      for (const Symbol* s : kallsyms_.FindAll(name)) {
        if (s->IsText()) found.push_back(s);
      }
      for (const Symbol* s : CompilerCopies(name)) found.push_back(s);
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
    size_t same_name = 0;
    for (const Symbol* s : found) same_name += s->name == name;
    if (same_name > 1) {
      Note(absl::StrCat("'", name, "': ", same_name,
                        " static functions share the name; all are included"));
    }
    for (const Symbol* s : found) AddFunctionCode(*s);
    return absl::OkStatus();
  }

  // [_sinittext, _einittext): boot-time code the kernel freed after boot. A
  // pattern can match its functions ("nft_*_module_init"); they never run
  // again and their memory is reused, so they are no compartment code.
  AddressRange InitText() const {
    const Symbol* begin = kallsyms_.Find("_sinittext");
    const Symbol* end = kallsyms_.Find("_einittext");
    if (begin == nullptr || end == nullptr) return {0, 0};
    return {begin->address, end->address};
  }

  absl::Status AddPattern(const std::string& pattern, size_t index) {
    size_t matched = 0;
    const AddressRange init = InitText();
    for (const Symbol& s : kallsyms_.symbols()) {
      if (!s.IsText() || absl::StartsWith(s.name, "__pfx_")) continue;
      if (init.Contains(s.address)) continue;
      if (fnmatch(pattern.c_str(), s.name.c_str(), 0) != 0) continue;
      AddFunctionCode(s);
      ++matched;
    }
    if (matched == 0) {
      return absl::NotFoundError(absl::StrCat(Where("compartment.pattern", index), ": '",
                                              pattern, "' matches no function"));
    }
    return absl::OkStatus();
  }

  // A module is its text sections from /sys/module/NAME/sections (cold
  // paths live outside .text), or its whole extent in /proc/modules where
  // they cannot be read, and its data sections.
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
      AddModuleSections(module, {address, address + size});
      return absl::OkStatus();
    }
    return absl::NotFoundError(absl::StrCat(policy_.source(), ": compartment.module: '",
                                            module, "' is not loaded (not in ",
                                            options_.proc_modules, ")"));
  }

  // Sysfs gives each section's start only: a section ends where the next
  // one starts, the last where the module's `extent` ends (an
  // over-approximation for the last of each kind).
  void AddModuleSections(const std::string& module, AddressRange extent) {
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
    bool text_found = false;
    for (auto it = sections.begin(); it != sections.end(); ++it) {
      const std::string& name = it->second;
      bool data = absl::StartsWith(name, ".data") || absl::StartsWith(name, ".bss") ||
                  absl::StartsWith(name, ".rodata");
      // Code that stays after init (.init.text is freed once the module is up).
      bool text = absl::StartsWith(name, ".text") || name == ".exit.text" ||
                  name == ".noinstr.text";
      auto next = std::next(it);
      uint64_t end = next == sections.end() ? extent.end : next->first;
      if (text && it->first >= extent.start && end <= extent.end && it->first < end) {
        // Decoding rodata or data as code would find stores and calls that
        // are not there.
        AddCode(absl::StrCat(module, ":", name), {it->first, end});
        text_found = true;
      }
      if (!data || next == sections.end()) continue;
      out_->data_.push_back({absl::StrCat(module, ":", name), {it->first, next->first}});
    }
    if (!text_found) {
      AddCode(module, extent);
      Note(absl::StrCat("module '", module, "': no text sections readable in ", dir,
                        ": its whole extent counts as code"));
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

  // Helpers that allocate for their caller (kstrdup, kmemdup, nla_strdup,
  // memdup_user, ...) are allocators like kmalloc: their calls from
  // compartment code are sites. Decoding each on this kernel says where the
  // kernel reports its allocations: one that calls only kmalloc_track_caller
  // passes its caller's address down (reported at the compartment's call);
  // one that calls another allocator is reported inside itself, and the
  // tracking programs find the compartment's call on the stack (kStack).
  void AddAllocatingHelpers() {
    static constexpr const char* kHelpers[] = {
        "kstrdup",       "kstrndup", "kmemdup_noprof | kmemdup", "kmemdup_nul", "kmemdup_array",
        "kstrdup_const", "nla_strdup", "nla_memdup", "memdup_user", "memdup_user_nul",
        "strndup_user"};
    for (const char* names : kHelpers) {
      absl::StatusOr<FunctionEntry> entry = policy::ParseFunctionEntry(names);
      std::string name;
      std::vector<const Symbol*> found = entry.ok() ? FindText(*entry, &name)
                                                    : std::vector<const Symbol*>{};
      if (found.size() != 1 || targets_.count(found.front()->address) > 0) continue;
      AddressRange range = kallsyms_.RangeOf(*found.front());
      absl::StatusOr<std::vector<uint8_t>> bytes = options_.text->Read(range.start, range.size());
      if (!bytes.ok()) continue;
      bool track_caller = false, other = false;
      for (const bpf::CallInstruction& c :
           bpf::FindCalls(bytes->data(), bytes->size(), range.start).calls) {
        auto target = targets_.find(c.target);
        if (target == targets_.end() || target->second.second != CallSite::Kind::kAlloc) continue;
        (absl::StrContains(target->second.first, "track_caller") && !c.tail ? track_caller
                                                                            : other) = true;
      }
      if (!track_caller && !other) continue;
      if (other) stack_helpers_.push_back({name, range});
      targets_[found.front()->address] = {name, CallSite::Kind::kAlloc};
      for (const Symbol* s : kallsyms_.FindAll("__pfx_" + name)) {
        targets_[s->address] = {name, CallSite::Kind::kAlloc};
      }
    }
  }

  // The policy's interface functions with owned arguments, as store helpers
  // whose destination is the owned argument: a call by the compartment is
  // checked like a store of the first byte it points to (the confused-deputy
  // check). Not an allocator or free function (the private heap judges
  // those) nor a memory helper (already a store, with its length); an
  // interface function kallsyms lacks is noted.
  void AddInterfaceHelpers(std::vector<bpf::StoreHelper>* helpers) {
    absl::flat_hash_set<uint64_t> covered;
    for (const bpf::StoreHelper& h : *helpers) covered.insert(h.address);
    const auto& functions = policy_.spec().interface().function();
    for (int i = 0; i < functions.size(); ++i) {
      if (functions[i].owned_arg_size() == 0) continue;
      absl::StatusOr<FunctionEntry> entry = policy::ParseFunctionEntry(functions[i].function());
      if (!entry.ok()) continue;  // the policy's validation reports it
      std::string name;
      std::vector<const Symbol*> found = FindText(*entry, &name);
      if (found.empty()) {
        Note(absl::StrCat(Where("interface.function", i), ": '", entry->ToString(),
                          "' is not on this kernel: its owned arguments are not checked"));
        continue;
      }
      // One check per call: the first owned argument.
      const uint32_t arg = functions[i].owned_arg(0);
      if (functions[i].owned_arg_size() > 1) {
        Note(absl::StrCat(Where("interface.function", i), ": '", name,
                          "': only owned argument ", arg, " is checked at its calls"));
      }
      for (const Symbol* s : found) {
        if (targets_.count(s->address) > 0 || covered.contains(s->address)) continue;
        helpers->push_back({.address = s->address,
                            .name = absl::StrCat(name, " (owned argument ", arg, ")"),
                            .length_register = bpf::kNoRegister,
                            .destination_register = bpf::ArgumentRegister(arg)});
      }
    }
  }

  absl::Status FindSites() {
    // Absent optional allocators are normal (no kernel has every name): no note.
    bool defaults = policy_.spec().sites().allocator_size() == 0;
    O2C_RETURN_IF_ERROR(CollectTargets(policy_.allocators(), "sites.allocator",
                                       CallSite::Kind::kAlloc));
    if (defaults && targets_.empty()) Note("no default allocator exists on this kernel");
    if (defaults && options_.text != nullptr) AddAllocatingHelpers();
    O2C_RETURN_IF_ERROR(CollectTargets(policy_.frees(), "sites.free", CallSite::Kind::kFree));
    if (options_.text == nullptr) {
      out_->sites_exact_ = false;
      Note("kernel text unreadable: no call sites and no store analysis; any call_site "
           "inside the code ranges counts as the compartment's");
      return absl::OkStatus();
    }
    out_->text_source_ = options_.text->Describe();
    out_->sites_exact_ = true;
    size_t indirect = 0, trampolines = 0, undecodable = 0;
    bpf::StoreContext stores;
    for (const NamedRange& d : out_->data_) {
      stores.own_data.push_back({d.range.start, d.range.end, d.name});
    }
    stores.helpers = bpf::FindStoreHelpers(kallsyms_);
    AddInterfaceHelpers(&stores.helpers);
    for (const NamedRange& r : out_->code_) {
      absl::StatusOr<std::vector<uint8_t>> bytes = options_.text->Read(r.range.start,
                                                                       r.range.size());
      if (!bytes.ok()) {
        out_->sites_exact_ = false;
        Note(absl::StrCat("'", r.name, "': code unreadable (", bytes.status().message(),
                          "): any call_site inside it counts; its stores are not listed"));
        continue;
      }
      out_->stores_.Add(bpf::FindStores(bytes->data(), bytes->size(), r.range.start, stores));
      bpf::DecodedCalls calls = bpf::FindCalls(bytes->data(), bytes->size(), r.range.start);
      indirect += calls.indirect_calls.size();
      undecodable += calls.undecodable_bytes;
      for (const bpf::CallInstruction& call : calls.calls) {
        compartment_calls_.push_back({&r, call});
        auto target = targets_.find(call.target);
        if (target == targets_.end()) {
          absl::StatusOr<bpf::SymbolOffset> at = kallsyms_.Symbolize(call.target);
          if (at.ok() && IsIndirectTrampoline(at->symbol->name)) ++trampolines;
          continue;
        }
        const auto& [callee, kind] = target->second;
        if (call.tail) {
          AddTailFunction(kind, callee, FunctionAt(call.address, r), call.address, callee);
          continue;
        }
        Sites(kind).push_back({kind, callee, FunctionAt(call.address, r).name, call.address,
                               call.return_address, ""});
      }
      code_bytes_[r.range.start] = *std::move(bytes);
    }
    FollowTailJumps();
    O2C_RETURN_IF_ERROR(FindCallersOfTailFunctions());
    FindWrapperPaths();
    for (auto* sites : {&out_->alloc_sites_, &out_->free_sites_}) {
      std::sort(sites->begin(), sites->end(), [](const CallSite& a, const CallSite& b) {
        return a.call_address < b.call_address;
      });
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

  std::vector<CallSite>& Sites(CallSite::Kind kind) {
    return kind == CallSite::Kind::kAlloc ? out_->alloc_sites_ : out_->free_sites_;
  }

  // A compartment function whose callers' return addresses the kernel
  // reports for `callee`'s allocations or frees (it ends in a tail jump).
  struct TailFunction {
    CallSite::Kind kind;
    std::string callee;     // the allocator or free function
    NamedRange function;
    size_t tail_jump;       // its entry in out_->tail_jumps_
  };

  // The function holding `address` of compartment range `r`: its symbol (a
  // module compartment is one range of many functions), else `r`.
  NamedRange FunctionAt(uint64_t address, const NamedRange& r) const {
    absl::StatusOr<bpf::SymbolOffset> at = kallsyms_.Symbolize(address);
    if (!at.ok() || !at->symbol->IsText()) return r;
    NamedRange function{at->symbol->name, kallsyms_.RangeOf(*at->symbol)};
    return r.range.Contains(function.range.start) ? function : r;
  }

  void AddTailFunction(CallSite::Kind kind, const std::string& callee, const NamedRange& function,
                       uint64_t jump_address, const std::string& jumped_to) {
    for (const TailFunction& t : tail_functions_) {
      if (t.kind == kind && t.function.range.start == function.range.start) return;
    }
    tail_functions_.push_back({kind, callee, function, out_->tail_jumps_.size()});
    out_->tail_jumps_.push_back({kind, jumped_to, function.name, jump_address, 0});
  }

  // Whether compartment code at `address` is an ENDBR64 (IBT), which calls
  // may skip.
  bool EndbrAt(uint64_t address) const {
    static constexpr uint8_t kEndbr64[] = {0xf3, 0x0f, 0x1e, 0xfa};
    auto it = code_bytes_.upper_bound(address);
    if (it == code_bytes_.begin()) return false;
    --it;
    uint64_t offset = address - it->first;
    return offset + 4 <= it->second.size() &&
           std::equal(kEndbr64, kEndbr64 + 4, it->second.begin() + offset);
  }

  // Where a call of `function` may land: its entry, the call-depth thunk in
  // the padding before it, or past its ENDBR64.
  bpf::TargetWindow EntryOf(const NamedRange& function) const {
    constexpr uint64_t kPadding = 16, kEndbrLength = 4;
    uint64_t start = function.range.start;
    return {start - kPadding, start + (EndbrAt(start) ? kEndbrLength : 0) + 1};
  }

  const TailFunction* TailFunctionAt(uint64_t target) const {
    for (const TailFunction& t : tail_functions_) {
      bpf::TargetWindow w = EntryOf(t.function);
      if (target >= w.start && target < w.end) return &t;
    }
    return nullptr;
  }

  // A compartment function that tail-jumps to one that tail-jumps to kfree
  // is reported at its own callers too.
  void FollowTailJumps() {
    for (size_t known = 0; known != tail_functions_.size();) {
      known = tail_functions_.size();
      for (const auto& [function, call] : compartment_calls_) {
        if (!call.tail) continue;
        const TailFunction* t = TailFunctionAt(call.target);
        NamedRange jumper = FunctionAt(call.address, *function);
        if (t == nullptr || t->function.range.start == jumper.range.start) continue;
        // Copies: AddTailFunction may move tail_functions_.
        CallSite::Kind kind = t->kind;
        std::string callee = t->callee, jumped_to = t->function.name;
        AddTailFunction(kind, callee, jumper, call.address, jumped_to);
      }
    }
  }

  // The calls of each tail-jumping function: in compartment code (decoded
  // above) and in the kernel's text (scanned for `call rel32` into its
  // entry, each match confirmed by decoding the function holding it).
  absl::Status FindCallersOfTailFunctions() {
    if (tail_functions_.empty()) return absl::OkStatus();
    std::map<uint64_t, bpf::CallInstruction> calls;  // by address
    std::map<uint64_t, std::string> holder;          // call address -> function
    for (const auto& [function, call] : compartment_calls_) {
      if (!call.tail && TailFunctionAt(call.target) != nullptr) {
        calls[call.address] = call;
        holder[call.address] = FunctionAt(call.address, *function).name;
      }
    }
    absl::StatusOr<AddressRange> text = kallsyms_.KernelText();
    bool in_core = false;
    for (const TailFunction& t : tail_functions_) {
      in_core |= text.ok() && text->Contains(t.function.range.start);
    }
    size_t unconfirmed = 0;
    if (in_core) {
      std::vector<bpf::TargetWindow> windows;
      for (const TailFunction& t : tail_functions_) windows.push_back(EntryOf(t.function));
      absl::StatusOr<std::vector<bpf::CallInstruction>> found = ScanText(*text, windows);
      if (!found.ok()) {
        Note(absl::StrCat("callers of tail-jumping functions outside the compartment not "
                          "searched (", found.status().message(),
                          "): their allocations and frees are not the compartment's"));
      } else {
        for (const bpf::CallInstruction& c : *found) {
          if (out_->ContainsCode(c.address) || calls.count(c.address)) continue;
          absl::StatusOr<std::string> function = ConfirmCall(c);
          if (!function.ok()) {
            ++unconfirmed;
            continue;
          }
          calls[c.address] = c;
          holder[c.address] = *function;
        }
      }
    }
    for (const auto& [address, call] : calls) {
      const TailFunction* t = TailFunctionAt(call.target);
      Sites(t->kind).push_back(
          {t->kind, t->callee, holder[address], address, call.return_address, t->function.name});
      ++out_->tail_jumps_[t->tail_jump].direct_callers;
    }
    std::vector<std::string> names;
    for (const TailFunction& t : tail_functions_) names.push_back(t.function.name);
    Note(absl::StrCat("calls of ", absl::StrJoin(names, ", "),
                      " through a pointer are not sites (the kernel reports the caller of a "
                      "tail-jumping function, and only direct calls are found)",
                      in_core ? "" : "; callers in other modules are not searched"));
    if (unconfirmed > 0) {
      Note(absl::StrCat(unconfirmed, " byte patterns that look like calls of tail-jumping "
                                     "functions are not instructions (checked by decoding)"));
    }
    return absl::OkStatus();
  }

  // Allocator and free wrappers: where a call of one is reported.
  void FindWrapperPaths() {
    using Reported = WrapperPath::Reported;
    struct Known {
      CallSite::Kind kind;
      const char* names;  // alternatives, newest first
      bool deferred;      // frees later or in bulk, without a tracepoint per object
    };
    static constexpr Known kWrappers[] = {
        {CallSite::Kind::kAlloc, "__kvmalloc_node_noprof | kvmalloc_node", false},
        {CallSite::Kind::kAlloc, "kmem_cache_alloc_bulk_noprof | kmem_cache_alloc_bulk", true},
        {CallSite::Kind::kFree, "kvfree", false},
        {CallSite::Kind::kFree, "kvfree_sensitive", false},
        {CallSite::Kind::kFree, "kfree_sensitive | kzfree", false},
        {CallSite::Kind::kFree, "kvfree_call_rcu", true},
        {CallSite::Kind::kFree, "kmem_cache_free_bulk", true},
    };
    for (const Known& known : kWrappers) {
      absl::StatusOr<FunctionEntry> entry = policy::ParseFunctionEntry(known.names);
      std::string name;
      std::vector<const Symbol*> found = entry.ok() ? FindText(*entry, &name)
                                                    : std::vector<const Symbol*>{};
      if (found.empty()) continue;
      WrapperPath path{known.kind, name, 0, Reported::kCaller};
      NamedRange wrapper{name, kallsyms_.RangeOf(*found.front())};
      bpf::TargetWindow entry_window = EntryOf(wrapper);
      for (const auto& [function, call] : compartment_calls_) {
        path.calls += call.target >= entry_window.start && call.target < entry_window.end;
      }
      path.code = wrapper.range;
      if (known.deferred) {
        path.reported = Reported::kNoTracepoint;
      } else if (CallsAnAllocatorItself(wrapper.range)) {
        path.reported = known.kind == CallSite::Kind::kAlloc ? Reported::kStack
                                                             : Reported::kWrapper;
      }
      out_->wrapper_paths_.push_back(path);
    }
    for (const NamedRange& helper : stack_helpers_) {
      WrapperPath path{CallSite::Kind::kAlloc, helper.name, 0, Reported::kStack, helper.range};
      bpf::TargetWindow entry_window = EntryOf(helper);
      for (const auto& [function, call] : compartment_calls_) {
        path.calls += call.target >= entry_window.start && call.target < entry_window.end;
      }
      out_->wrapper_paths_.push_back(path);
    }
  }

  // Whether the function at `range` calls (not tail-jumps to) an allocator
  // or free function that is not itself a wrapper: then the kernel reports
  // that call, inside the wrapper. Unreadable code counts as such.
  bool CallsAnAllocatorItself(AddressRange range) const {
    absl::StatusOr<std::vector<uint8_t>> bytes = options_.text->Read(range.start, range.size());
    if (!bytes.ok()) return true;
    for (const bpf::CallInstruction& c :
         bpf::FindCalls(bytes->data(), bytes->size(), range.start).calls) {
      if (!c.tail && targets_.count(c.target) > 0) return true;
    }
    return false;
  }

  // `call rel32` patterns into `windows` anywhere in `text`, read a chunk at
  // a time (a pattern may straddle two chunks).
  absl::StatusOr<std::vector<bpf::CallInstruction>> ScanText(
      AddressRange text, const std::vector<bpf::TargetWindow>& windows) const {
    constexpr uint64_t kChunk = 1 << 20, kOverlap = 4;
    std::vector<bpf::CallInstruction> found;
    for (uint64_t at = text.start; at < text.end; at += kChunk) {
      uint64_t size = std::min(kChunk + kOverlap, text.end - at);
      O2C_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, options_.text->Read(at, size));
      for (const bpf::CallInstruction& c :
           bpf::ScanForCalls(bytes.data(), bytes.size(), at, windows)) {
        if (c.address < at + kChunk) found.push_back(c);
      }
    }
    return found;
  }

  // The name of the function holding `call` when decoding it from its start
  // finds that very call; NotFound when the bytes are not that instruction.
  absl::StatusOr<std::string> ConfirmCall(const bpf::CallInstruction& call) const {
    O2C_ASSIGN_OR_RETURN(bpf::SymbolOffset at, kallsyms_.Symbolize(call.address));
    AddressRange range = kallsyms_.RangeOf(*at.symbol);
    O2C_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes,
                         options_.text->Read(range.start, range.size()));
    for (const bpf::CallInstruction& c : bpf::FindCalls(bytes.data(), bytes.size(), range.start)
                                             .calls) {
      if (c.address == call.address && !c.tail && c.target == call.target) {
        return at.symbol->name;
      }
    }
    return absl::NotFoundError("not an instruction");
  }

  const Policy& policy_;
  const Kallsyms& kallsyms_;
  const Options& options_;
  Compartment* out_;
  std::map<uint64_t, std::pair<std::string, CallSite::Kind>> targets_;
  // Every direct call and tail jump in compartment code, with its function.
  std::vector<std::pair<const NamedRange*, bpf::CallInstruction>> compartment_calls_;
  // Allocating helpers reported inside themselves (AddAllocatingHelpers).
  std::vector<NamedRange> stack_helpers_;
  std::map<uint64_t, std::vector<uint8_t>> code_bytes_;  // by range start
  std::vector<TailFunction> tail_functions_;
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

const char* DescribeReported(WrapperPath::Reported reported) {
  switch (reported) {
    case WrapperPath::Reported::kCaller:
      return "reported at the compartment's call (a site)";
    case WrapperPath::Reported::kWrapper:
      return "reported inside the wrapper (not seen as the compartment's)";
    case WrapperPath::Reported::kStack:
      return "reported inside the wrapper, attributed to the compartment's call through the "
             "stack";
    case WrapperPath::Reported::kNoTracepoint:
      return "deferred or in bulk, no tracepoint per object";
  }
  return "?";
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
      absl::StrAppendFormat(&out, "  %-5s %-32s call %-26s call_site %s\n",
                            s.kind == CallSite::Kind::kAlloc ? "alloc" : "free",
                            kallsyms.Format(s.call_address),
                            s.via.empty() ? s.callee : absl::StrCat(s.via, " -> ", s.callee),
                            kallsyms.Format(s.return_address));
    }
  }
  for (const TailJump& t : tail_jumps_) {
    absl::StrAppendFormat(&out,
                          "  tail  %-32s jmp  %-26s reported at the calls of %s (%d found)\n",
                          kallsyms.Format(t.jump_address), t.callee, t.function,
                          t.direct_callers);
  }
  for (const WrapperPath& w : wrapper_paths_) {
    absl::StrAppendFormat(&out, "  wrap  %-32s %3d calls: %s\n", w.name, w.calls,
                          DescribeReported(w.reported));
  }
  for (const std::string& note : notes_) absl::StrAppend(&out, "note: ", note, "\n");
  return out;
}

}  // namespace o2c
