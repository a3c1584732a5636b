#include "o2c/bpf/store_probes.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "o2c/bpf/loader/program_loader.h"
#include "o2c/bpf/site_probes_programs.h"

namespace o2c::bpf {

o2c_store_site StoreSiteRecord(const StoreSite& site) {
  const StoreOperand& op = site.operand;
  o2c_store_site record = {};
  record.insn = site.address;
  record.displacement = op.displacement;
  record.base = op.base;
  record.index = op.index;
  record.scale = op.scale == 0 ? 1 : op.scale;
  record.length_register = op.length_register;
  record.width = op.length_register != kNoRegister ? op.length_scale : site.width_bytes;
  // A helper whose length is not in a register (strcpy): its first byte.
  if (record.width == 0) record.width = 1;
  return record;
}

StorePlan PlanStoreProbes(const StoreAnalysis& analysis, const Kallsyms& kallsyms,
                          size_t budget) {
  StorePlan plan;
  for (StoreClass cls : {StoreClass::kHelperCall, StoreClass::kRuntime}) {
    for (const StoreSite& site : analysis.sites) {
      if (site.cls != cls) continue;
      // No register to read the address from (a gs: or vector-indexed
      // store): nothing a probe could compute.
      if (site.operand.base == kNoRegister && site.operand.index == kNoRegister) {
        ++plan.unplaceable;
        continue;
      }
      if (plan.probes.size() >= budget) {
        ++plan.over_budget;
        continue;
      }
      absl::StatusOr<KprobeTarget> at = KprobeTargetOf(site.address, kallsyms, "store");
      if (!at.ok()) {
        ++plan.unplaceable;
        continue;
      }
      plan.probes.push_back({.site = StoreSiteRecord(site),
                             .cls = cls,
                             .symbol = std::move(at->symbol),
                             .offset = at->offset});
    }
  }
  for (const StoreSite& site : analysis.sites) {
    if (site.cls == StoreClass::kStackFrame || site.cls == StoreClass::kOwnData) ++plan.cleared;
    if (site.cls == StoreClass::kFixedAddress) ++plan.fixed;
  }
  return plan;
}

absl::StatusOr<StoreProbeLinks> AttachStoreProbes(const std::vector<StoreProbe>& probes,
                                                      bpf_program* program) {
  StoreProbeLinks attached;
  for (size_t i = 0; i < probes.size(); ++i) {
    const StoreProbe& probe = probes[i];
    LIBBPF_OPTS(bpf_kprobe_opts, opts, .bpf_cookie = i, .offset = probe.offset);
    bpf_link* link = bpf_program__attach_kprobe_opts(program, probe.symbol.c_str(), &opts);
    int err = libbpf_get_error(link);
    if (err == 0) {
      attached.links.emplace_back(link);
      continue;
    }
    // EINVAL, EILSEQ: the kernel will not probe this instruction (it is not
    // an instruction boundary it accepts, or kprobes may not go there).
    if (err == -EINVAL || err == -EILSEQ) {
      attached.refused.push_back(
          absl::StrCat(probe.symbol, "+0x", absl::Hex(probe.offset), ": ", std::strerror(-err)));
      continue;
    }
    return LibbpfError(err, absl::StrCat("store probe at ", probe.symbol, "+0x",
                                         absl::Hex(probe.offset)));
  }
  return attached;
}

}  // namespace o2c::bpf
