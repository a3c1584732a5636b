// Attaching every enabled program of a loaded BPF object, all or nothing.
#ifndef O2C_BPF_LOADER_LINKS_H_
#define O2C_BPF_LOADER_LINKS_H_

#include <bpf/libbpf.h>

#include <functional>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"

namespace o2c::bpf {

struct LinkDeleter {
  void operator()(bpf_link* link) const { bpf_link__destroy(link); }
};
using LinkPtr = std::unique_ptr<bpf_link, LinkDeleter>;

// Attaches each program of `obj` whose autoload and autoattach are on, at
// its section's hook: first those for which `first` holds, then the others
// (the order in which a tracker's allocation and free hooks go live decides
// which objects of the attach window it misses).
// On any failure the links made so far are destroyed and the status names
// the program: "prog 'btf_kfree': attach: No such file or directory".
absl::StatusOr<std::vector<LinkPtr>> AttachAll(
    bpf_object* obj, const std::function<bool(const bpf_program*)>& first = nullptr);

}  // namespace o2c::bpf

#endif  // O2C_BPF_LOADER_LINKS_H_
