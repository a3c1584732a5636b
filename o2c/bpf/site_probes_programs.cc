#include "o2c/bpf/site_probes_programs.h"

#include <cerrno>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "o2c/bpf/loader/program_loader.h"
#include "o2c/internal/file_util.h"
#include "o2c/internal/status_macros.h"

namespace o2c::bpf {

const char* SiteProbeKindName(SiteProbeKind kind) {
  switch (kind) {
    case SiteProbeKind::kAlloc: return "alloc";
    case SiteProbeKind::kKfree: return "kfree";
    case SiteProbeKind::kKmemCacheFree: return "kmem_cache_free";
  }
  return "?";
}

bool FreeProbeKind(const std::string& callee, SiteProbeKind* kind) {
  absl::string_view name = callee;
  while (absl::ConsumePrefix(&name, "_")) {
  }
  if (name == "kmem_cache_free") {
    *kind = SiteProbeKind::kKmemCacheFree;
    return true;
  }
  for (absl::string_view f : {"kfree", "kvfree", "kfree_sensitive", "kzfree", "kvfree_sensitive"}) {
    if (name == f) {
      *kind = SiteProbeKind::kKfree;
      return true;
    }
  }
  return false;
}

absl::StatusOr<KprobeTarget> KprobeTargetOf(uint64_t address, const Kallsyms& kallsyms,
                                            const std::string& what) {
  O2C_ASSIGN_OR_RETURN(SymbolOffset at, kallsyms.Symbolize(address));
  const std::string& name = at.symbol->name;
  if (size_t n = kallsyms.FindAll(name).size(); n != 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        what, " ", kallsyms.Format(address), ": ", n, " symbols are called '", name,
        "', a kprobe by name could land in another"));
  }
  return KprobeTarget{
      .symbol = at.symbol->module.empty() ? name : absl::StrCat(at.symbol->module, ":", name),
      .offset = at.offset};
}

namespace {

absl::StatusOr<SiteProbe> PlanSiteProbe(SiteProbeKind kind, const SiteCall& call,
                                        const Kallsyms& kallsyms) {
  SiteProbe probe{.kind = kind,
                  .address = kind == SiteProbeKind::kAlloc ? call.return_address
                                                           : call.call_address,
                  .site = call.return_address};
  O2C_ASSIGN_OR_RETURN(
      KprobeTarget at,
      KprobeTargetOf(probe.address, kallsyms, absl::StrCat(SiteProbeKindName(kind), " site")));
  probe.symbol = std::move(at.symbol);
  probe.offset = at.offset;
  return probe;
}

}  // namespace

absl::StatusOr<std::vector<SiteProbe>> PlanSiteProbes(const std::vector<SiteCall>& sites,
                                                      const Kallsyms& kallsyms) {
  std::vector<SiteProbe> probes;
  for (const SiteCall& call : sites) {
    SiteProbeKind kind = SiteProbeKind::kAlloc;
    if (call.alloc && call.tail) {
      return absl::FailedPreconditionError(
          absl::StrCat("the allocation at ", kallsyms.Format(call.call_address),
                       " is a tail jump: its object returns to another function"));
    }
    if (!call.alloc && !FreeProbeKind(call.callee, &kind)) {
      return absl::FailedPreconditionError(
          absl::StrCat("the free at ", kallsyms.Format(call.call_address), " calls ", call.callee,
                       ", whose object is not where a probe can read it"));
    }
    O2C_ASSIGN_OR_RETURN(SiteProbe probe, PlanSiteProbe(kind, call, kallsyms));
    probes.push_back(std::move(probe));
  }
  return probes;
}

absl::StatusOr<std::vector<LinkPtr>> AttachSiteProbes(
    const std::vector<SiteProbe>& probes,
    const std::function<bpf_program*(SiteProbeKind)>& program_for) {
  std::vector<LinkPtr> links;
  // Allocations first, as the enforcer's tracepoints: an object allocated
  // while the probes go live is tracked, not auditioned as one from before.
  for (bool frees : {false, true}) {
    for (const SiteProbe& probe : probes) {
      if ((probe.kind != SiteProbeKind::kAlloc) != frees) continue;
      LIBBPF_OPTS(bpf_kprobe_opts, opts, .bpf_cookie = probe.site, .offset = probe.offset);
      bpf_link* link =
          bpf_program__attach_kprobe_opts(program_for(probe.kind), probe.symbol.c_str(), &opts);
      int err = libbpf_get_error(link);
      if (err != 0) {
        return LibbpfError(err, absl::StrCat("kprobe at ", probe.symbol, "+0x",
                                             absl::Hex(probe.offset), " (",
                                             SiteProbeKindName(probe.kind), " site)"));
      }
      links.emplace_back(link);
    }
  }
  return links;
}

absl::StatusOr<std::vector<std::string>> RegisteredKprobes(const std::string& path) {
  O2C_ASSIGN_OR_RETURN(std::string text, internal::ReadFileBytes(path));
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    lines.emplace_back(line);
  }
  return lines;
}

}  // namespace o2c::bpf
