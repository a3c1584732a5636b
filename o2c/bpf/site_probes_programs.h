// Site probes: the enforcer's kprobes at the compartment's own allocation and
// free call sites (enforcer.bpf.c's site_* programs), for kernels where
// kprobes at function+offset work. Only the compartment's own calls run
// them, where the kmem tracepoints run for every allocation and free of the
// machine.
//
// Where a probe goes and what it reads there:
// - after `call <allocator>` (the call's return address): the object is in
//   rax; a tail jump to an allocator returns elsewhere and cannot be probed;
// - at `call`/`jmp kfree` (kvfree, kfree_sensitive ...): the object is in
//   rdi, before the free runs; at `call`/`jmp kmem_cache_free`: in rsi.
// Each probe's attach cookie is the site's return address: what the
// tracepoints report as call_site, so events name sites alike in both modes.
//
// One perf kprobe link per site: kprobe_multi is built on fprobe (ftrace),
// which attaches at function entries only, not inside a function. A probe
// in the middle of a function is an int3 (or, once the kernel optimizes
// it, a jump), not an ftrace patch of kfree.
#ifndef O2C_BPF_SITE_PROBES_PROGRAMS_H_
#define O2C_BPF_SITE_PROBES_PROGRAMS_H_

#include <bpf/libbpf.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "o2c/bpf/kernel/kallsyms.h"
#include "o2c/bpf/loader/links.h"

namespace o2c::bpf {

enum class SiteProbeKind {
  kAlloc,          // after `call <allocator>`: object in rax
  kKfree,          // at `call`/`jmp` of a free taking the object first: rdi
  kKmemCacheFree,  // at `call`/`jmp kmem_cache_free`: cache in rdi, object in rsi
};

// "alloc", "kfree", "kmem_cache_free".
const char* SiteProbeKindName(SiteProbeKind kind);

// One probe, a value.
struct SiteProbe {
  SiteProbeKind kind = SiteProbeKind::kAlloc;
  uint64_t address = 0;  // the probed instruction
  uint64_t site = 0;     // its cookie: the call's return address
  std::string symbol;    // the function holding `address` (kprobes take symbol+offset)
  uint64_t offset = 0;   // address - the symbol's address
};

// A call site of the compartment, as its resolution found it.
struct SiteCall {
  bool alloc = true;            // an allocation (else a free)
  std::string callee;           // "__kmalloc_cache_noprof", "kfree"
  uint64_t call_address = 0;    // the call or jmp instruction
  uint64_t return_address = 0;  // after it
  bool tail = false;            // a jmp
};

// Where a kprobe at an address goes: kprobes take symbol+offset.
struct KprobeTarget {
  std::string symbol;  // "pipe_release", or "module:function" for module code
  uint64_t offset = 0;
};

// The kprobe target of `address`. FailedPrecondition, naming `what` ("kfree
// site", "store") and the address, when its function's name is not unique: a
// kprobe by name could land in another of that name.
absl::StatusOr<KprobeTarget> KprobeTargetOf(uint64_t address, const Kallsyms& kallsyms,
                                            const std::string& what);

// One probe per site. FailedPrecondition, naming the site, for a site that
// cannot take one: an allocation by tail jump (its object returns to another
// function), a free whose object is not in a register a probe reads (see
// FreeProbeKind), a function whose name is not unique (a kprobe by name
// could land in another of that name).
absl::StatusOr<std::vector<SiteProbe>> PlanSiteProbes(const std::vector<SiteCall>& sites,
                                                      const Kallsyms& kallsyms);

// The probe kind for a free site calling `callee`: kKfree for the frees
// whose first argument is the object, kKmemCacheFree for kmem_cache_free;
// false for any other (kvfree_call_rcu's first argument is an rcu_head,
// kfree_bulk's an array).
bool FreeProbeKind(const std::string& callee, SiteProbeKind* kind);

// Attaches `program_for(kind)` at every probe, allocations first, each with its
// site as cookie. All or nothing: on failure the links made so far are
// destroyed (their kprobes unregistered) and the status names the site
// ("kprobe at pipe_release+0x4f (kfree site): ...").
absl::StatusOr<std::vector<LinkPtr>> AttachSiteProbes(
    const std::vector<SiteProbe>& probes,
    const std::function<bpf_program*(SiteProbeKind)>& program_for);

// The kernel's registered kprobes, one line of /sys/kernel/debug/kprobes/list
// each (debugfs mounted there): to check that detaching leaves them as
// they were.
absl::StatusOr<std::vector<std::string>> RegisteredKprobes(
    const std::string& path = "/sys/kernel/debug/kprobes/list");

}  // namespace o2c::bpf

#endif  // O2C_BPF_SITE_PROBES_PROGRAMS_H_
