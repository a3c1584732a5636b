// Which of the four kmem tracepoints a compartment needs, worked out from
// the functions its allocation and free sites call. Most of a machine's kmem
// events are kmem_cache_alloc / kmem_cache_free; a compartment that only
// kmallocs and kfrees pays for none of them.
//
// The free paths that can release a tracked object:
// - a kmalloc-family object goes back through kfree (kvfree, kfree_sensitive
//   and the kfree_rcu work end there too), which fires the kfree tracepoint;
// - a kmem_cache object goes back through kmem_cache_free, or through kfree:
//   allowed for any slab object since Linux 6.4 and always accepted by SLUB,
//   the only slab allocator of our kernels. So tracking cache objects needs
//   both free tracepoints.
// A free site's own hook follows its callee. A callee of no known family,
// or a compartment whose code could not be decoded, needs every hook of its
// kind.
#ifndef O2C_BPF_KMEM_HOOK_SET_H_
#define O2C_BPF_KMEM_HOOK_SET_H_

#include <array>
#include <string>
#include <vector>

namespace o2c::bpf {

enum class KmemHook { kKmalloc = 0, kKmemCacheAlloc, kKfree, kKmemCacheFree };
inline constexpr int kKmemHookCount = 4;

// The tracepoint's name: "kmalloc", "kmem_cache_alloc", "kfree",
// "kmem_cache_free".
const char* KmemHookName(KmemHook hook);

// Whether one hook is needed, and the reason in words.
struct KmemHookNeed {
  bool needed = true;
  std::string why = "every kmem hook";
};

// A value: one need per KmemHook.
struct KmemHookSet {
  std::array<KmemHookNeed, kKmemHookCount> needs;
  const KmemHookNeed& operator[](KmemHook hook) const { return needs[static_cast<int>(hook)]; }
  KmemHookNeed& operator[](KmemHook hook) { return needs[static_cast<int>(hook)]; }
  bool Needs(KmemHook hook) const { return (*this)[hook].needed; }
  // "kmalloc, kfree": the needed hooks' names, in enum order.
  std::string NeededNames() const;
};

// Every hook, each for `why` (the tracking every compartment had before
// hooks were chosen from sites; benchmarks compare against it).
KmemHookSet AllKmemHooks(const std::string& why);

// The hooks a compartment needs. `alloc_callees` / `free_callees`: the
// functions its allocation / free sites call ("__kmalloc_cache_noprof",
// "kmem_cache_free"); `sites_exact`: whether those are all its sites (false:
// its code was not decoded, every hook is needed).
KmemHookSet KmemHooksFor(const std::vector<std::string>& alloc_callees,
                         const std::vector<std::string>& free_callees, bool sites_exact);

// The family a callee belongs to, by name: kKmalloc or kKmemCacheAlloc for
// allocators, kKfree or kKmemCacheFree for frees; false when it is of none.
bool AllocatorFamily(const std::string& callee, KmemHook* family);
bool FreeFamily(const std::string& callee, KmemHook* family);

}  // namespace o2c::bpf

#endif  // O2C_BPF_KMEM_HOOK_SET_H_
