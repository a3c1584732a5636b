#include "o2c/bpf/kmem_hook_set.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace o2c::bpf {
namespace {

// "__kmalloc_cache_noprof" -> "kmalloc_cache_noprof".
absl::string_view Bare(const std::string& callee) {
  absl::string_view name = callee;
  while (absl::ConsumePrefix(&name, "_")) {
  }
  return name;
}

bool StartsWithAny(absl::string_view name, std::initializer_list<absl::string_view> prefixes) {
  for (absl::string_view p : prefixes) {
    if (absl::StartsWith(name, p)) return true;
  }
  return false;
}

// Appends `callee` to `names` unless it is there (for short reasons).
void AddName(std::vector<std::string>& names, const std::string& callee) {
  for (const std::string& n : names) {
    if (n == callee) return;
  }
  names.push_back(callee);
}

}  // namespace

const char* KmemHookName(KmemHook hook) {
  switch (hook) {
    case KmemHook::kKmalloc: return "kmalloc";
    case KmemHook::kKmemCacheAlloc: return "kmem_cache_alloc";
    case KmemHook::kKfree: return "kfree";
    case KmemHook::kKmemCacheFree: return "kmem_cache_free";
  }
  return "?";
}

std::string KmemHookSet::NeededNames() const {
  std::vector<const char*> names;
  for (int i = 0; i < kKmemHookCount; ++i) {
    if (needs[i].needed) names.push_back(KmemHookName(static_cast<KmemHook>(i)));
  }
  return absl::StrJoin(names, ", ");
}

bool AllocatorFamily(const std::string& callee, KmemHook* family) {
  absl::string_view name = Bare(callee);
  if (absl::StartsWith(name, "kmem_cache_alloc")) {
    *family = KmemHook::kKmemCacheAlloc;
    return true;
  }
  // The kmalloc tracepoint reports every kmalloc-backed allocator: the
  // kmalloc and kvmalloc families and the helpers that copy into one.
  if (absl::StrContains(name, "kmalloc") || absl::StrContains(name, "kvmalloc") ||
      StartsWithAny(name, {"krealloc", "kvrealloc", "kmemdup", "kvmemdup", "kstrdup",
                           "kstrndup", "kzalloc", "kcalloc", "kvzalloc", "kvcalloc"})) {
    *family = KmemHook::kKmalloc;
    return true;
  }
  return false;
}

bool FreeFamily(const std::string& callee, KmemHook* family) {
  absl::string_view name = Bare(callee);
  if (absl::StartsWith(name, "kmem_cache_free")) {
    *family = KmemHook::kKmemCacheFree;
    return true;
  }
  if (StartsWithAny(name, {"kfree", "kvfree", "kzfree"})) {
    *family = KmemHook::kKfree;
    return true;
  }
  return false;
}

KmemHookSet AllKmemHooks(const std::string& why) {
  KmemHookSet set;
  for (KmemHookNeed& need : set.needs) need = {.needed = true, .why = why};
  return set;
}

KmemHookSet KmemHooksFor(const std::vector<std::string>& alloc_callees,
                         const std::vector<std::string>& free_callees, bool sites_exact) {
  if (!sites_exact) {
    return AllKmemHooks("the compartment's code was not decoded: any call in it may allocate "
                        "or free through any slab function");
  }
  // The callees that need each hook, by name.
  std::array<std::vector<std::string>, kKmemHookCount> callers;
  std::vector<std::string> unknown_allocators, unknown_frees;
  for (const std::string& callee : alloc_callees) {
    KmemHook family;
    if (AllocatorFamily(callee, &family)) {
      AddName(callers[static_cast<int>(family)], callee);
    } else {
      AddName(unknown_allocators, callee);
    }
  }
  for (const std::string& callee : free_callees) {
    KmemHook family;
    if (FreeFamily(callee, &family)) {
      AddName(callers[static_cast<int>(family)], callee);
    } else {
      AddName(unknown_frees, callee);
    }
  }
  KmemHookSet set;
  auto decide = [&](KmemHook hook, const std::vector<std::string>& unknown, const char* sites) {
    const std::vector<std::string>& by_name = callers[static_cast<int>(hook)];
    KmemHookNeed& need = set[hook];
    need.needed = !by_name.empty() || !unknown.empty();
    std::vector<std::string> reasons;
    if (!by_name.empty()) {
      reasons.push_back(absl::StrCat(sites, " call ", absl::StrJoin(by_name, ", ")));
    }
    if (!unknown.empty()) {
      reasons.push_back(absl::StrCat(sites, " call ", absl::StrJoin(unknown, ", "),
                                     ", of no known slab family"));
    }
    need.why = need.needed ? absl::StrJoin(reasons, "; ")
                           : absl::StrCat("no ", sites, " call the ", KmemHookName(hook),
                                          " family");
  };
  decide(KmemHook::kKmalloc, unknown_allocators, "allocation sites");
  decide(KmemHook::kKmemCacheAlloc, unknown_allocators, "allocation sites");
  decide(KmemHook::kKfree, unknown_frees, "free sites");
  decide(KmemHook::kKmemCacheFree, unknown_frees, "free sites");

  // Tracked objects may be released by any code, through these paths.
  const bool tracks_kmalloc = set.Needs(KmemHook::kKmalloc);
  const bool tracks_cache = set.Needs(KmemHook::kKmemCacheAlloc);
  KmemHookNeed& kfree = set[KmemHook::kKfree];
  if (tracks_kmalloc || tracks_cache) {
    absl::StrAppend(&kfree.why, kfree.needed ? "; " : "; but ", "tracked ",
                    tracks_kmalloc ? "kmalloc" : "", tracks_kmalloc && tracks_cache ? " and " : "",
                    tracks_cache ? "kmem_cache" : "",
                    " objects are released by kfree, from any code",
                    tracks_cache ? " (kfree takes any slab object)" : "");
    kfree.needed = true;
  }
  KmemHookNeed& cache_free = set[KmemHook::kKmemCacheFree];
  if (tracks_cache) {
    absl::StrAppend(&cache_free.why, cache_free.needed ? "; " : "; but ",
                    "tracked kmem_cache objects are released by kmem_cache_free, from any code");
    cache_free.needed = true;
  } else if (!cache_free.needed) {
    absl::StrAppend(&cache_free.why,
                    ", and no kmem_cache object is tracked (a kmalloc object is never released "
                    "through kmem_cache_free)");
  }
  return set;
}

}  // namespace o2c::bpf
