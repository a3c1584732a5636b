// Choosing how a BPF object hooks the kmem tracepoints. Objects that watch
// kmalloc / kmem_cache_alloc / kfree / kmem_cache_free carry each entry point
// twice, as tp_btf/* and raw_tp/*; exactly one flavour is loaded.
//
// Tracepoints even where fentry and kprobes work. An allocation's fentry or
// kprobe sees neither the object (known only at return) nor, with fexit or a
// kretprobe, the caller; the tracepoint gives both. A free's fentry does not
// see the caller, which the free-site check needs; a kprobe does, but
// arming and disarming it rewrites kfree's own text while ftrace, which
// frees its bookkeeping with kfree, runs through it. A tracepoint patches no
// code: attaching and detaching cannot break the kernel's hottest functions.
#ifndef O2C_BPF_LOADER_KMEM_HOOKS_H_
#define O2C_BPF_LOADER_KMEM_HOOKS_H_

#include <bpf/libbpf.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "o2c/bpf/kernel/capabilities.h"

namespace o2c::bpf {

enum class KmemHookFlavor { kTpBtf, kRawTp };

// tp_btf where it can read the object pointer (cheaper: typed, direct
// argument loads), else raw_tp; FailedPrecondition if neither works.
absl::StatusOr<KmemHookFlavor> ChooseKmemHookFlavor(const KernelCapabilities& features);

// "tp_btf" or "raw_tp".
const char* KmemHookFlavorName(KmemHookFlavor flavor);

// Turns autoload off for every program of `obj` (opened, not yet loaded)
// whose section is of the other flavour.
absl::Status SelectKmemHookFlavor(bpf_object* obj, KmemHookFlavor flavor);

// Whether `prog` hooks a free (kfree or kmem_cache_free), by its section.
bool IsKmemFreeHook(const bpf_program* prog);

}  // namespace o2c::bpf

#endif  // O2C_BPF_LOADER_KMEM_HOOKS_H_
