#include "o2c/bpf/loader/preempt_count.h"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "o2c/bpf/loader/program_loader.h"

namespace o2c::bpf {
namespace {

constexpr char kPercpuSection[] = ".data..percpu";

// The offset of per-CPU variable `name` in the per-CPU section, if any.
std::optional<int64_t> PercpuOffset(const btf* vmlinux, const char* name) {
  int32_t section = btf__find_by_name_kind(vmlinux, kPercpuSection, BTF_KIND_DATASEC);
  if (section < 0) return std::nullopt;
  const btf_type* datasec = btf__type_by_id(vmlinux, section);
  const btf_var_secinfo* var = btf_var_secinfos(datasec);
  for (int i = 0; i < btf_vlen(datasec); ++i, ++var) {
    const btf_type* t = btf__type_by_id(vmlinux, var->type);
    if (t != nullptr && std::strcmp(btf__name_by_offset(vmlinux, t->name_off), name) == 0) {
      return var->offset;
    }
  }
  return std::nullopt;
}

// The byte offset of member `member` of the struct `type_id` points to.
std::optional<int64_t> MemberOffset(const btf* vmlinux, int32_t type_id, const char* member) {
  const btf_type* t = btf__type_by_id(vmlinux, btf__resolve_type(vmlinux, type_id));
  if (t == nullptr || !btf_is_composite(t)) return std::nullopt;
  const btf_member* m = btf_members(t);
  for (int i = 0; i < btf_vlen(t); ++i, ++m) {
    const char* name = btf__name_by_offset(vmlinux, m->name_off);
    uint32_t bits = btf_member_bit_offset(t, i);
    if (name[0] == '\0') {  // an anonymous struct or union: look inside
      if (auto inner = MemberOffset(vmlinux, m->type, member)) return bits / 8 + *inner;
    } else if (std::strcmp(name, member) == 0) {
      return bits / 8;
    }
  }
  return std::nullopt;
}

// The offset of preempt_count in the per-CPU section.
std::optional<int64_t> PreemptCountOffset(const btf* vmlinux) {
  if (auto offset = PercpuOffset(vmlinux, "__preempt_count")) return offset;
  auto hot = PercpuOffset(vmlinux, "pcpu_hot");
  int32_t hot_type = btf__find_by_name_kind(vmlinux, "pcpu_hot", BTF_KIND_STRUCT);
  if (!hot || hot_type < 0) return std::nullopt;
  auto member = MemberOffset(vmlinux, hot_type, "preempt_count");
  if (!member) return std::nullopt;
  return *hot + *member;
}

}  // namespace

absl::StatusOr<int64_t> PreemptCountFromRunqueues(const btf* vmlinux) {
  auto runqueues = PercpuOffset(vmlinux, "runqueues");
  if (!runqueues) {
    return absl::NotFoundError(absl::StrCat("vmlinux BTF: no per-CPU variable 'runqueues' in ",
                                            kPercpuSection));
  }
  auto preempt_count = PreemptCountOffset(vmlinux);
  if (!preempt_count) {
    return absl::NotFoundError(absl::StrCat(
        "vmlinux BTF: no per-CPU '__preempt_count' or 'pcpu_hot.preempt_count' in ",
        kPercpuSection));
  }
  return *preempt_count - *runqueues;
}

absl::StatusOr<int64_t> PreemptCountFromRunqueues() {
  std::unique_ptr<btf, void (*)(btf*)> vmlinux(btf__load_vmlinux_btf(), btf__free);
  if (!vmlinux) return LibbpfError(-errno, "vmlinux BTF: load");
  return PreemptCountFromRunqueues(vmlinux.get());
}

}  // namespace o2c::bpf
