// Choosing how a BPF object hooks the kmem tracepoints. Objects that watch
// kmalloc / kmem_cache_alloc / kfree / kmem_cache_free carry each entry point
// twice, as tp_btf/* and raw_tp/*; exactly one flavour is loaded.
#ifndef O2C_BPF_KMEM_HOOKS_H_
#define O2C_BPF_KMEM_HOOKS_H_

#include <bpf/libbpf.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "o2c/bpf/kernel_features.h"

namespace o2c::bpf {

enum class KmemHookFlavor { kTpBtf, kRawTp };

// tp_btf where it can read the object pointer (cheaper: typed, direct
// argument loads), else raw_tp; FailedPrecondition if neither works.
absl::StatusOr<KmemHookFlavor> ChooseKmemHookFlavor(const KernelFeatures& features);

// "tp_btf" or "raw_tp".
const char* KmemHookFlavorName(KmemHookFlavor flavor);

// Turns autoload off for every program of `obj` (opened, not yet loaded)
// whose section is of the other flavour.
absl::Status SelectKmemHookFlavor(bpf_object* obj, KmemHookFlavor flavor);

}  // namespace o2c::bpf

#endif  // O2C_BPF_KMEM_HOOKS_H_
