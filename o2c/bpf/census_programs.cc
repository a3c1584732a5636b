#include "o2c/bpf/census_programs.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "o2c/bpf/census.h"
#include "o2c/bpf/enforcer.h"
#include "o2c/bpf/kmem_sites.h"  // struct o2c_code_range, before the skeleton
#include "o2c/bpf/census.skel.h"
#include "o2c/bpf/kernel/code_ranges.h"
#include "o2c/bpf/loader/links.h"
#include "o2c/bpf/loader/program_loader.h"
#include "o2c/internal/status_macros.h"

namespace o2c::bpf {

struct CensusPrograms::State {
  struct SkelDeleter {
    void operator()(census_bpf* skel) const { census_bpf__destroy(skel); }
  };
  // Destroyed in reverse order: the link first, then the program.
  std::unique_ptr<census_bpf, SkelDeleter> skel;
  LinkPtr link;
};

namespace {

absl::StatusOr<bpf_map_info> MapInfo(int fd, const char* name) {
  bpf_map_info info = {};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) {
    return LibbpfError(-errno, absl::StrCat("census: the heap's map '", name, "'"));
  }
  return info;
}

absl::Status ReuseMap(bpf_map* map, int fd, const char* name) {
  int err = bpf_map__reuse_fd(map, fd);
  if (err) return LibbpfError(err, absl::StrCat("census: reuse the heap's map '", name, "'"));
  return absl::OkStatus();
}

}  // namespace

CensusPrograms::CensusPrograms(std::unique_ptr<State> state) : state_(std::move(state)) {}

CensusPrograms::~CensusPrograms() = default;

absl::StatusOr<std::unique_ptr<CensusPrograms>> CensusPrograms::Load(
    const std::vector<AddressRange>& code, const HeapMapFds& heap, uint32_t tgid,
    bool descendants) {
  // The bucket index hashes into the tracker's bucket array: the census must
  // use the same mask, which the array's size gives. Without a heap, the
  // program's own one-bucket maps stay empty.
  bpf_map_info buckets = {.max_entries = 1};
  if (heap.tracked >= 0) {
    O2C_ASSIGN_OR_RETURN(buckets, MapInfo(heap.tracked, "tracked"));
  }
  if (buckets.max_entries == 0 || (buckets.max_entries & (buckets.max_entries - 1)) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "census: the heap's map 'tracked' has ", buckets.max_entries,
        " entries; want a power of two (a heap tracker's bucket array)"));
  }
  auto state = std::make_unique<State>();
  state->skel.reset(census_bpf__open());
  if (!state->skel) return LibbpfError(-errno, "census: open");
  census_bpf* skel = state->skel.get();
  auto* ro = skel->rodata;
  O2C_RETURN_IF_ERROR(
      CopyMergedRanges("census code", code, O2C_MAX_RANGES, ro->code_ranges, &ro->nr_code));
  ro->target_tgid = tgid;
  ro->scope_descendants = descendants;
  ro->o2c_heap_bucket_mask = buckets.max_entries - 1;
  if (heap.tracked >= 0) {
    O2C_RETURN_IF_ERROR(ReuseMap(skel->maps.tracked, heap.tracked, "tracked"));
    O2C_RETURN_IF_ERROR(
        ReuseMap(skel->maps.tracked_counts, heap.tracked_counts, "tracked_counts"));
    O2C_RETURN_IF_ERROR(
        ReuseMap(skel->maps.tracked_overflow, heap.tracked_overflow, "tracked_overflow"));
  }
  O2C_RETURN_IF_ERROR(LoadSkeleton("census: load", [&] { return census_bpf__load(skel); }));
  bpf_link* link = bpf_program__attach_iter(skel->progs.census_task_file, nullptr);
  if (!link) {
    return absl::FailedPreconditionError(
        absl::StrCat("census: attach iter/task_file: ", LibbpfError(-errno, "").message()));
  }
  state->link.reset(link);
  return std::unique_ptr<CensusPrograms>(new CensusPrograms(std::move(state)));
}

absl::StatusOr<CensusCounts> CensusPrograms::Run() {
  census_bpf* skel = state_->skel.get();
  skel->bss->counts = {};
  int fd = bpf_iter_create(bpf_link__fd(state_->link.get()));
  if (fd < 0) return LibbpfError(-errno, "census: create iterator");
  absl::Cleanup close_fd = [fd] { close(fd); };
  // The program writes nothing to the seq file: reading to EOF runs the walk.
  char buffer[64];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof(buffer))) > 0) {
  }
  if (n < 0) return LibbpfError(-errno, "census: walk");
  const o2c_census_counts& c = skel->bss->counts;
  return CensusCounts{.files = c.files,
                      .compartment_files = c.compartment_files,
                      .tracked = c.tracked,
                      .untracked = c.untracked,
                      .no_object = c.no_object,
                      .static_object = c.static_object};
}

std::vector<uint32_t> CensusPrograms::ProgramIds() const {
  std::vector<uint32_t> ids;
  if (auto info = ProgramInfo(bpf_program__fd(state_->skel->progs.census_task_file)); info.ok()) {
    ids.push_back(info->id);
  }
  return ids;
}

}  // namespace o2c::bpf
