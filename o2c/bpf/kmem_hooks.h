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

// How an object that also carries kprobe/kfree and kprobe/kmem_cache_free
// entry points (the enforcer) watches frees.
enum class FreeHookMechanism { kKprobe, kTracepoint };

// kprobe where the kernel has kprobes: at a function's entry it sees the
// caller (the return address on the stack), which the free-site check
// needs, and it runs with preemption off. fentry would be cheaper but sees
// no caller, so it is never chosen. Elsewhere the tracepoints.
FreeHookMechanism ChooseFreeHookMechanism(const KernelFeatures& features);

// "kprobe", or the tracepoint flavour's name.
const char* FreeHookMechanismName(FreeHookMechanism mechanism, KmemHookFlavor flavor);

// Whether `prog` hooks a free (kfree or kmem_cache_free), by its section.
bool IsKmemFreeHook(const bpf_program* prog);

// Turns autoload off for the free-hook programs of `obj` of the mechanism
// not chosen: "kprobe/" sections, or the tracepoint ones on the free hooks.
absl::Status SelectFreeHookMechanism(bpf_object* obj, FreeHookMechanism mechanism);

}  // namespace o2c::bpf

#endif  // O2C_BPF_KMEM_HOOKS_H_
