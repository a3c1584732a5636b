#include "o2c/bpf/loader/slab_lookup.h"

#include <bpf/libbpf.h>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "o2c/bpf/kernel/capabilities.h"

namespace o2c::bpf {

const char* SlabLookupName(o2c_slab_lookup method) {
  switch (method) {
    case O2C_SLAB_LOOKUP_NONE: return "none";
    case O2C_SLAB_LOOKUP_KFUNC: return "kfunc";
    case O2C_SLAB_LOOKUP_WALK: return "walk";
  }
  return "?";
}

SlabLookup SlabLookupWithoutKfunc(const Kallsyms& kallsyms) {
  SlabLookup lookup;
  // The walk reads these variables (not constants: memory-layout
  // randomization sets them at boot); kallsyms lists data symbols only
  // with CONFIG_KALLSYMS_ALL.
  struct Needed {
    const char* name;
    __u64* address;
  } needed[] = {{"vmemmap_base", &lookup.layout.vmemmap_base},
                {"page_offset_base", &lookup.layout.page_offset_base},
                {"max_pfn", &lookup.layout.max_pfn}};
  for (const Needed& n : needed) {
    const Symbol* symbol = kallsyms.Find(n.name);
    if (symbol == nullptr || symbol->IsText() || !symbol->module.empty()) {
      lookup.layout = {};
      lookup.why = absl::StrCat("no bpf_get_kmem_cache kfunc and no '", n.name,
                                "' in kallsyms: objects' slab caches are unknown (size -1)");
      return lookup;
    }
    *n.address = symbol->address;
  }
  lookup.method = O2C_SLAB_LOOKUP_WALK;
  lookup.why = "walk from the address to its struct slab (no bpf_get_kmem_cache kfunc)";
  return lookup;
}

const SlabLookup& RunningKernelSlabLookup() {
  static const SlabLookup* lookup = [] {
    libbpf_print_fn_t previous = libbpf_set_print(nullptr);  // a refusal is an answer
    absl::Cleanup restore_print = [previous] { libbpf_set_print(previous); };
    auto* lookup = new SlabLookup;
    if (ProbeCapability(Capability::kKmemCacheKfunc).works) {
      lookup->method = O2C_SLAB_LOOKUP_KFUNC;
      lookup->why = "bpf_get_kmem_cache kfunc";
      return lookup;
    }
    absl::StatusOr<Kallsyms> kallsyms = Kallsyms::FromFile();
    if (!kallsyms.ok()) {
      lookup->why = absl::StrCat("no bpf_get_kmem_cache kfunc, and ", kallsyms.status().message());
      return lookup;
    }
    *lookup = SlabLookupWithoutKfunc(*kallsyms);
    return lookup;
  }();
  return *lookup;
}

}  // namespace o2c::bpf
