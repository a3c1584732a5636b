// o2c::Compartment: a policy's compartment resolved against the running
// kernel: the code ranges of its functions, its data ranges, and the exact
// call sites inside its code that call allocator and free functions.
//
//   auto kallsyms = o2c::bpf::Kallsyms::FromFile();
//   auto compartment = o2c::Compartment::Resolve(*policy, *kallsyms);
//
// Call sites come from decoding the compartment's machine code (Zydis), read
// through /proc/kcore or, where there is none, a BPF program
// (o2c/bpf/kernel/text_reader.h). A site's return address is what the kmem
// tracepoints report as call_site. A compartment function that ends in a
// tail jump to an allocator (`jmp kfree`) is reported at its callers: the
// calls of it are found in the kernel's text and are sites too. Where the
// code cannot be read, there are no sites and sites_exact() is false: then
// any call_site inside the code ranges has to count as the compartment's.
// The same bytes give the compartment's stores, every instruction that
// writes memory, classified by the check it would need
// (o2c/bpf/kernel/store_sites.h).
//
// bpf::Kallsyms, bpf::AddressRange, bpf::KernelTextReader and
// bpf::StoreAnalysis below are O2C's own plain C++ types (no libbpf, no
// kernel headers). A Compartment is a value: copyable, immutable after
// Resolve, safe to read from any thread.
#ifndef O2C_COMPARTMENT_H_
#define O2C_COMPARTMENT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "o2c/bpf/kernel/kallsyms.h"
#include "o2c/bpf/kernel/store_sites.h"
#include "o2c/bpf/kernel/text_reader.h"
#include "o2c/policy.h"

namespace o2c {

// A named range of compartment code or data.
struct NamedRange {
  std::string name;  // "alloc_pipe_info", "vulnmod", "range[0]", "vulnmod:.data"
  bpf::AddressRange range;
};

// A call whose return address the kmem tracepoints report as call_site for
// the compartment's allocations or frees: a call of an allocator or free
// function from compartment code, or a call (from anywhere in the kernel's
// text) of a compartment function that ends in a tail jump to one.
struct CallSite {
  enum class Kind { kAlloc, kFree };
  Kind kind = Kind::kAlloc;
  std::string callee;           // the allocator or free function: "kfree"
  std::string function;         // the function holding the call: "pipe_release"
  uint64_t call_address = 0;    // the call instruction
  uint64_t return_address = 0;  // after it: the call_site the kernel reports
  // The compartment function called here that reaches `callee` by a tail
  // jump ("free_pipe_info"); empty for a direct call of `callee`.
  std::string via;
};

// A compartment function that leaves by a tail jump to an allocator or free
// function (`jmp kfree`): the callee returns to this function's caller, so
// the kernel reports the return address of each call of this function.
struct TailJump {
  CallSite::Kind kind = CallSite::Kind::kAlloc;
  std::string callee;          // "kfree", or the tail-jumping function jumped to
  std::string function;        // "free_pipe_info"
  uint64_t jump_address = 0;   // the jmp instruction
  size_t direct_callers = 0;   // calls of `function` found (each one a CallSite)
};

// A function that wraps an allocator or a free (kvmalloc, kvfree,
// kfree_rcu, ...), how often compartment code calls it, and what the kmem
// tracepoints report for those calls on this kernel.
struct WrapperPath {
  enum class Reported {
    kCaller,        // call_site is the compartment's call: it is a site like any other
    kWrapper,       // call_site lies inside the wrapper (it calls the allocator or
                    // free): the compartment's objects made or freed there are not
                    // seen as its own
    kStack,         // call_site lies inside the wrapper; the tracking programs find
                    // the compartment's call of it on the stack (allocations only)
    kNoTracepoint,  // made or freed in bulk, or freed later, with no tracepoint
                    // per object
  };
  CallSite::Kind kind = CallSite::Kind::kAlloc;
  std::string name;        // as on this kernel: "kvmalloc_node"
  size_t calls = 0;        // direct calls and tail jumps from compartment code
  Reported reported = Reported::kCaller;
  bpf::AddressRange code;  // the wrapper's code (where kWrapper/kStack call_sites lie)
};

// "reported at the compartment's call (a site)", ...: for reports.
const char* DescribeReported(WrapperPath::Reported reported);

class Compartment {
 public:
  struct Options {
    // Reads kernel text for call sites; null: no sites (sites_exact() false).
    const bpf::KernelTextReader* text = nullptr;
    // Where a module compartment's extent and sections come from.
    std::string proc_modules = "/proc/modules";
    std::string sys_module = "/sys/module";
  };

  // Resolves with the kernel text reader that works here (OpenKernelTextReader);
  // when none does, resolves without sites and says so in notes().
  static absl::StatusOr<Compartment> Resolve(const Policy& policy,
                                             const bpf::Kallsyms& kallsyms);
  // Resolves with explicit options. NotFound, naming the policy entry and a
  // near match, for a function (or allocator, pattern, module) that exists
  // under none of its names; optional entries ('?') are skipped with a note.
  static absl::StatusOr<Compartment> Resolve(const Policy& policy,
                                             const bpf::Kallsyms& kallsyms,
                                             const Options& options);

  const std::string& name() const { return name_; }
  // Code ranges, by address, disjoint.
  const std::vector<NamedRange>& code() const { return code_; }
  // Data ranges (module sections, data symbols), by address.
  const std::vector<NamedRange>& data() const { return data_; }
  // Allocation and free sites, by call address: every call_site the kmem
  // tracepoints report for a compartment allocation or free made by a
  // direct call (calls through pointers are not followed; see notes()).
  const std::vector<CallSite>& alloc_sites() const { return alloc_sites_; }
  const std::vector<CallSite>& free_sites() const { return free_sites_; }
  // The tail jumps to allocator and free functions in compartment code; the
  // calls of their functions are among the sites (CallSite::via).
  const std::vector<TailJump>& tail_jumps() const { return tail_jumps_; }
  // The wrappers on this kernel (absent ones are left out), by name.
  const std::vector<WrapperPath>& wrapper_paths() const { return wrapper_paths_; }
  // Whether every function's code was read and decoded.
  bool sites_exact() const { return sites_exact_; }
  // Every instruction of the compartment's code that writes memory
  // (bpf::FindStores, its data ranges as own data, the kernel's
  // memory-writing helpers), by address; empty (and notes() says so) when
  // the code was not read. Only the ranges read when some were not
  // (sites_exact() false).
  const bpf::StoreAnalysis& stores() const { return stores_; }
  // What resolution skipped, approximated or could not do, one line each.
  const std::vector<std::string>& notes() const { return notes_; }
  // How the code was read ("" if it was not).
  const std::string& text_source() const { return text_source_; }

  // Whether `address` lies in compartment code.
  bool ContainsCode(uint64_t address) const;
  // Total bytes of code.
  uint64_t code_bytes() const;

  // A readable report: ranges with sizes, sites as symbol+offset, notes.
  std::string Format(const bpf::Kallsyms& kallsyms) const;

 private:
  class Resolver;

  std::string name_;
  std::vector<NamedRange> code_;
  std::vector<NamedRange> data_;
  std::vector<CallSite> alloc_sites_;
  std::vector<CallSite> free_sites_;
  std::vector<TailJump> tail_jumps_;
  std::vector<WrapperPath> wrapper_paths_;
  bool sites_exact_ = false;
  bpf::StoreAnalysis stores_;
  std::vector<std::string> notes_;
  std::string text_source_;
};

}  // namespace o2c

#endif  // O2C_COMPARTMENT_H_
