#include "o2c/bpf/kmem_sites_programs.h"

#include <bpf/bpf.h>


#include "absl/strings/str_cat.h"
#include "o2c/bpf/kernel/code_ranges.h"
#include "o2c/bpf/kmem_sites.h"
#include "o2c/bpf/kmem_sites.skel.h"
#include "o2c/bpf/loader/links.h"
#include "o2c/bpf/loader/program_loader.h"
#include "o2c/internal/status_macros.h"

namespace o2c::bpf {

SiteCounts& SiteCounts::operator+=(const SiteCounts& o) {
  allocs += o.allocs;
  alloc_bytes += o.alloc_bytes;
  frees += o.frees;
  null_frees += o.null_frees;
  return *this;
}

struct KmemSitesPrograms::State {
  struct SkelDeleter {
    void operator()(kmem_sites_bpf* skel) const { kmem_sites_bpf__destroy(skel); }
  };
  // Declared after the skeleton, so destroyed before the programs they hold.
  std::unique_ptr<kmem_sites_bpf, SkelDeleter> skel;
  std::vector<LinkPtr> links;
  std::vector<uint32_t> slot_of_range;  // Options::ranges[i] -> map index
};

KmemSitesPrograms::KmemSitesPrograms(std::unique_ptr<State> state, KmemHookFlavor flavor)
    : state_(std::move(state)), flavor_(flavor) {}

KmemSitesPrograms::~KmemSitesPrograms() = default;

absl::StatusOr<std::unique_ptr<KmemSitesPrograms>> KmemSitesPrograms::Start(
    const Options& options, const KernelCapabilities& features) {
  O2C_ASSIGN_OR_RETURN(std::vector<uint32_t> order,
                       SortedRangeOrder(options.ranges, "kmem_sites", O2C_MAX_SITE_RANGES));
  const size_t n = order.size();
  O2C_ASSIGN_OR_RETURN(KmemHookFlavor flavor, ChooseKmemHookFlavor(features));

  auto state = std::make_unique<State>();
  state->skel.reset(kmem_sites_bpf__open());
  if (!state->skel) return LibbpfError(-errno, "kmem_sites: open");
  auto* rodata = state->skel->rodata;
  rodata->target_tgid = options.tgid;
  rodata->nr_ranges = static_cast<uint32_t>(n);
  state->slot_of_range.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const AddressRange& r = options.ranges[order[i]];
    rodata->ranges[i].start = r.start;
    rodata->ranges[i].end = r.end;
    state->slot_of_range[order[i]] = static_cast<uint32_t>(i);
  }
  O2C_RETURN_IF_ERROR(SelectKmemHookFlavor(state->skel->obj, flavor));
  O2C_RETURN_IF_ERROR(LoadSkeleton("kmem_sites: load", [&] {
    return kmem_sites_bpf__load(state->skel.get());
  }));
  O2C_ASSIGN_OR_RETURN(state->links, AttachAll(state->skel->obj));
  return std::unique_ptr<KmemSitesPrograms>(new KmemSitesPrograms(std::move(state), flavor));
}

absl::StatusOr<std::vector<SiteCounts>> KmemSitesPrograms::Read() const {
  int ncpus = libbpf_num_possible_cpus();
  if (ncpus <= 0) return LibbpfError(ncpus, "kmem_sites: possible CPUs");
  int fd = bpf_map__fd(state_->skel->maps.counts);
  std::vector<o2c_site_counts> per_cpu(ncpus);
  std::vector<SiteCounts> result;
  for (uint32_t slot : state_->slot_of_range) {
    if (bpf_map_lookup_elem(fd, &slot, per_cpu.data()) != 0) {
      return LibbpfError(-errno, absl::StrCat("map 'counts': lookup ", slot));
    }
    SiteCounts sum;
    for (const o2c_site_counts& c : per_cpu) {
      sum += SiteCounts{c.allocs, c.alloc_bytes, c.frees, c.null_frees};
    }
    result.push_back(sum);
  }
  return result;
}

absl::StatusOr<SiteCounts> KmemSitesPrograms::Total() const {
  O2C_ASSIGN_OR_RETURN(std::vector<SiteCounts> per_range, Read());
  SiteCounts total;
  for (const SiteCounts& c : per_range) total += c;
  return total;
}

}  // namespace o2c::bpf
