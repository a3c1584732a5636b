// Access-check probes: a kprobe at each of the compartment's stores that
// static analysis (kernel/store_sites.h) could not clear, running the
// enforcer's store_check program (enforcer.bpf.c), for kernels where kprobes
// at function+offset work. The probe fires before the store runs, so the
// registers still hold its address and length.
//
// A kprobe is an int3 (or, once optimized, a jump) at one instruction: only
// the compartment's stores pay, and each pays a breakpoint trap. The budget
// (max probes) keeps a large compartment from trapping on every line.
#ifndef O2C_BPF_STORE_PROBES_H_
#define O2C_BPF_STORE_PROBES_H_

#include <bpf/libbpf.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "o2c/bpf/enforcer.h"
#include "o2c/bpf/kernel/kallsyms.h"
#include "o2c/bpf/kernel/store_sites.h"
#include "o2c/bpf/loader/links.h"

namespace o2c::bpf {

// One probe, a value: the record store_check reads (its index in the
// store_sites map is the probe's cookie) and where the probe goes.
struct StoreProbe {
  o2c_store_site site = {};
  StoreClass cls = StoreClass::kRuntime;
  std::string symbol;  // kprobes take symbol+offset
  uint64_t offset = 0;
};

// Which stores get a probe.
struct StorePlan {
  std::vector<StoreProbe> probes;
  uint64_t over_budget = 0;   // stores needing a check left without one: the budget
  // ... whose function's name is not unique, or whose address is in no
  // register (gs: and vector-indexed stores)
  uint64_t unplaceable = 0;
  uint64_t cleared = 0;       // stores static analysis cleared (stack frame, own data)
  // Stores at addresses known before the code runs (RIP-relative, absolute,
  // gs: with a constant offset) outside the compartment's data: listed by
  // the analysis, not probed, not checked.
  uint64_t fixed = 0;
};

// Plans a probe for every kRuntime and kHelperCall store of `analysis`, at
// most `budget`: helper calls first (they write whole buffers), then stores
// through registers, each group by address. A store whose function's name
// is not unique cannot be probed by name: counted, not probed.
StorePlan PlanStoreProbes(const StoreAnalysis& analysis, const Kallsyms& kallsyms, size_t budget);

// The store_sites record of `site` (its operand in the ABI's terms).
o2c_store_site StoreSiteRecord(const StoreSite& site);

// What attaching did.
struct StoreProbeLinks {
  std::vector<LinkPtr> links;
  // Stores the kernel would not probe ("vuln_write+0x2a: Invalid argument"):
  // kprobes refuse some instructions (in an exception-table fixup, in
  // non-probeable code). Unchecked, and listed; never a failed attach.
  std::vector<std::string> refused;
};

// Attaches `program` at every probe, each with its index as cookie. Only a
// failure that is not the kernel refusing one instruction (no such symbol,
// out of memory) fails the whole call; then every link made is destroyed.
absl::StatusOr<StoreProbeLinks> AttachStoreProbes(const std::vector<StoreProbe>& probes,
                                                      bpf_program* program);

}  // namespace o2c::bpf

#endif  // O2C_BPF_STORE_PROBES_H_
