#include "o2c/bpf/quarantine_gate_programs.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <cerrno>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "o2c/bpf/kernel/code_ranges.h"
#include "o2c/bpf/enforcer.h"
#include "o2c/bpf/kmem_sites.h"  // struct o2c_code_range, before the skeleton
#include "o2c/bpf/loader/links.h"
#include "o2c/bpf/loader/program_loader.h"
#include "o2c/bpf/quarantine_gate.skel.h"
#include "o2c/internal/status_macros.h"

namespace o2c::bpf {
namespace {

// The ways into a compartment file that reach its code without passing an
// LSM hook, so that no BPF LSM program can refuse them.
constexpr const char* kUncovered[] = {
    "poll: no LSM hook; the file's poll handler runs",
    "select: no LSM hook; the file's poll handler runs",
    "epoll: no LSM hook; epoll_ctl and epoll_wait run the file's poll handler",
    "splice from a pipe: no LSM hook for the pipe end (the other end passes file_permission)",
    "splice into a pipe: no LSM hook for the pipe end (the other end passes file_permission)",
    "splice between pipes: no LSM hook for either end",
    "tee: no LSM hook (both ends are pipes)",
    "vmsplice: no LSM hook",
    "sendfile into a pipe: no LSM hook for the pipe end (the file read from passes "
    "file_permission)",
    "mapped pages: a mapping made before the quarantine faults into the file's vm_operations "
    "with no LSM hook",
};

// Whether the running kernel has the BPF LSM hook `hook` ("file_ioctl_compat"):
// its BTF then has the function bpf_lsm_<hook>.
absl::StatusOr<bool> KernelHasLsmHook(const char* hook) {
  btf* vmlinux = btf__load_vmlinux_btf();
  if (vmlinux == nullptr) return LibbpfError(-errno, "quarantine gate: the kernel's BTF");
  bool found =
      btf__find_by_name_kind(vmlinux, absl::StrCat("bpf_lsm_", hook).c_str(), BTF_KIND_FUNC) > 0;
  btf__free(vmlinux);
  return found;
}

}  // namespace

struct QuarantineGate::State {
  struct SkelDeleter {
    void operator()(quarantine_gate_bpf* skel) const { quarantine_gate_bpf__destroy(skel); }
  };
  // Destroyed in reverse order: links first, then the programs.
  std::unique_ptr<quarantine_gate_bpf, SkelDeleter> skel;
  std::vector<LinkPtr> links;
};

QuarantineGate::QuarantineGate(std::unique_ptr<State> state) : state_(std::move(state)) {}

QuarantineGate::~QuarantineGate() = default;

absl::StatusOr<std::unique_ptr<QuarantineGate>> QuarantineGate::Attach(
    const std::vector<AddressRange>& code, int quarantine_map_fd, const KernelCapabilities& features) {
  // libbpf adopts a reused map's shape, so check it here: the programs read
  // a u32 at key 0.
  bpf_map_info map = {};
  uint32_t len = sizeof(map);
  if (bpf_obj_get_info_by_fd(quarantine_map_fd, &map, &len) != 0) {
    return LibbpfError(-errno, "quarantine gate: the quarantine map");
  }
  if (map.type != BPF_MAP_TYPE_ARRAY || map.key_size != sizeof(uint32_t) ||
      map.value_size != sizeof(uint32_t) || map.max_entries != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("quarantine gate: the quarantine map is of type ", map.type, ", key ",
                     map.key_size, " B, value ", map.value_size, " B, ", map.max_entries,
                     " entries; want an ARRAY of one u32 at key u32"));
  }
  // Refuse before loading anything: without BPF LSM nothing could deny.
  if (!features.Has(Capability::kLsm)) {
    return absl::FailedPreconditionError(
        absl::StrCat("quarantine gate: no BPF LSM to deny with (feature '",
                     CapabilityName(Capability::kLsm), "': ", features.Get(Capability::kLsm).detail, ")"));
  }
  auto state = std::make_unique<State>();
  state->skel.reset(quarantine_gate_bpf__open());
  if (!state->skel) return LibbpfError(-errno, "quarantine gate: open");
  quarantine_gate_bpf* skel = state->skel.get();
  auto* ro = skel->rodata;
  O2C_RETURN_IF_ERROR(CopyMergedRanges("quarantine gate code", code, O2C_MAX_RANGES,
                                       ro->code_ranges, &ro->nr_code));
  int err = bpf_map__reuse_fd(skel->maps.quarantine, quarantine_map_fd);
  if (err) return LibbpfError(err, "quarantine gate: reuse the quarantine map");
  // Older kernels have no file_ioctl_compat; their compat ioctls pass
  // file_ioctl, which the gate holds anyway.
  O2C_ASSIGN_OR_RETURN(bool has_ioctl_compat, KernelHasLsmHook("file_ioctl_compat"));
  if (!has_ioctl_compat) {
    err = bpf_program__set_autoload(skel->progs.gate_file_ioctl_compat, false);
    if (err) return LibbpfError(err, "quarantine gate: leave out file_ioctl_compat");
  }
  O2C_RETURN_IF_ERROR(
      LoadSkeleton("quarantine gate: load", [&] { return quarantine_gate_bpf__load(skel); }));
  O2C_ASSIGN_OR_RETURN(state->links, AttachAll(skel->obj));
  return std::unique_ptr<QuarantineGate>(new QuarantineGate(std::move(state)));
}

absl::StatusOr<uint64_t> QuarantineGate::Denials() const {
  int ncpus = libbpf_num_possible_cpus();
  if (ncpus <= 0) return LibbpfError(ncpus, "quarantine gate: possible CPUs");
  std::vector<uint64_t> per_cpu(ncpus);
  uint32_t key = 0;
  if (bpf_map_lookup_elem(bpf_map__fd(state_->skel->maps.denials), &key, per_cpu.data()) != 0) {
    return LibbpfError(-errno, "map 'denials': lookup");
  }
  uint64_t total = 0;
  for (uint64_t n : per_cpu) total += n;
  return total;
}

std::vector<uint32_t> QuarantineGate::ProgramIds() const {
  std::vector<uint32_t> ids;
  bpf_program* prog;
  bpf_object__for_each_program(prog, state_->skel->obj) {
    int fd = bpf_program__fd(prog);
    if (fd < 0) continue;
    if (auto info = ProgramInfo(fd); info.ok()) ids.push_back(info->id);
  }
  return ids;
}

std::vector<std::string> QuarantineGate::Hooks() const {
  std::vector<std::string> hooks;
  bpf_program* prog;
  bpf_object__for_each_program(prog, state_->skel->obj) {
    if (bpf_program__autoload(prog)) hooks.emplace_back(bpf_program__section_name(prog));
  }
  return hooks;
}

std::vector<std::string> QuarantineGate::Uncovered() const {
  return {std::begin(kUncovered), std::end(kUncovered)};
}

}  // namespace o2c::bpf
