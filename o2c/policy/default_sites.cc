#include "o2c/policy/default_sites.h"

namespace o2c::policy {
namespace {

std::vector<FunctionEntry> ParseAll(std::initializer_list<const char*> entries) {
  std::vector<FunctionEntry> parsed;
  for (const char* text : entries) parsed.push_back(*ParseFunctionEntry(text));
  return parsed;
}

}  // namespace

const std::vector<FunctionEntry>& DefaultAllocators() {
  // The *_track_caller variants and kmemdup report their caller's return
  // address as call_site, so calls of them are sites too.
  static const auto* entries = new std::vector<FunctionEntry>(ParseAll({
      "__kmalloc_noprof | __kmalloc?",
      "__kmalloc_node_noprof | __kmalloc_node?",
      "__kmalloc_cache_noprof | kmalloc_trace_noprof | kmalloc_trace?",
      "__kmalloc_cache_node_noprof | kmalloc_node_trace_noprof | kmalloc_node_trace?",
      "__kmalloc_large_noprof | kmalloc_large_noprof | kmalloc_large?",
      "__kmalloc_large_node_noprof | kmalloc_large_node_noprof | kmalloc_large_node?",
      "kmem_cache_alloc_noprof | kmem_cache_alloc?",
      "kmem_cache_alloc_node_noprof | kmem_cache_alloc_node?",
      "kmem_cache_alloc_lru_noprof | kmem_cache_alloc_lru?",
      "__kvmalloc_node_noprof | kvmalloc_node?",
      "__kmalloc_node_track_caller_noprof | __kmalloc_node_track_caller?",
      "krealloc_noprof | krealloc?",
      "kmemdup_noprof | kmemdup?",
      "kstrdup?",
  }));
  return *entries;
}

const std::vector<FunctionEntry>& DefaultFrees() {
  static const auto* entries = new std::vector<FunctionEntry>(ParseAll({
      "kfree?",
      "kmem_cache_free?",
      "kvfree?",
      "kfree_sensitive | kzfree?",
      "kvfree_sensitive?",
      "kvfree_call_rcu?",
  }));
  return *entries;
}

}  // namespace o2c::policy
