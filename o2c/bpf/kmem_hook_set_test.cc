#include "o2c/bpf/kmem_hook_set.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace o2c::bpf {
namespace {

using ::testing::HasSubstr;

TEST(KmemHookSetTest, KmallocAndKfreeOnlyNeedNoCacheHooks) {
  // fs/pipe.c on Debian 12's 6.1: kzalloc, kcalloc and kfree.
  KmemHookSet set = KmemHooksFor({"kmalloc_trace", "__kmalloc"}, {"kfree"}, true);
  EXPECT_TRUE(set.Needs(KmemHook::kKmalloc));
  EXPECT_FALSE(set.Needs(KmemHook::kKmemCacheAlloc));
  EXPECT_TRUE(set.Needs(KmemHook::kKfree));
  EXPECT_FALSE(set.Needs(KmemHook::kKmemCacheFree));
  EXPECT_EQ(set.NeededNames(), "kmalloc, kfree");
  EXPECT_THAT(set[KmemHook::kKmemCacheAlloc].why, HasSubstr("no allocation sites call"));
  EXPECT_THAT(set[KmemHook::kKmemCacheFree].why, HasSubstr("never released"));
}

TEST(KmemHookSetTest, TrackedCacheObjectsNeedBothFrees) {
  // A cache object may go back through kfree as well as kmem_cache_free.
  KmemHookSet set = KmemHooksFor({"kmem_cache_alloc_noprof"}, {"kmem_cache_free"}, true);
  EXPECT_FALSE(set.Needs(KmemHook::kKmalloc));
  EXPECT_TRUE(set.Needs(KmemHook::kKmemCacheAlloc));
  EXPECT_TRUE(set.Needs(KmemHook::kKfree));
  EXPECT_TRUE(set.Needs(KmemHook::kKmemCacheFree));
  EXPECT_THAT(set[KmemHook::kKfree].why, HasSubstr("kfree takes any slab object"));
}

TEST(KmemHookSetTest, FreeSitesAloneDecideTheirHook) {
  // Frees objects allocated elsewhere (a compartment that only frees).
  KmemHookSet set = KmemHooksFor({}, {"kmem_cache_free"}, true);
  EXPECT_FALSE(set.Needs(KmemHook::kKmalloc));
  EXPECT_FALSE(set.Needs(KmemHook::kKfree));
  EXPECT_TRUE(set.Needs(KmemHook::kKmemCacheFree));
}

TEST(KmemHookSetTest, UnknownCalleesAndUndecodedCodeNeedEveryHookOfTheirKind) {
  KmemHookSet set = KmemHooksFor({"my_pool_get"}, {"kvfree"}, true);
  EXPECT_TRUE(set.Needs(KmemHook::kKmalloc));
  EXPECT_TRUE(set.Needs(KmemHook::kKmemCacheAlloc));
  EXPECT_THAT(set[KmemHook::kKmalloc].why, HasSubstr("my_pool_get, of no known slab family"));
  EXPECT_EQ(KmemHooksFor({}, {}, false).NeededNames(),
            "kmalloc, kmem_cache_alloc, kfree, kmem_cache_free");
}

TEST(KmemHookSetTest, FamiliesByName) {
  KmemHook family;
  for (const char* name : {"__kmalloc_cache_noprof", "__kvmalloc_node_noprof", "krealloc",
                           "kmemdup_noprof", "kstrdup", "kmalloc_large"}) {
    ASSERT_TRUE(AllocatorFamily(name, &family)) << name;
    EXPECT_EQ(family, KmemHook::kKmalloc) << name;
  }
  ASSERT_TRUE(AllocatorFamily("kmem_cache_alloc_lru_noprof", &family));
  EXPECT_EQ(family, KmemHook::kKmemCacheAlloc);
  for (const char* name : {"kfree", "kvfree", "kfree_sensitive", "kvfree_call_rcu"}) {
    ASSERT_TRUE(FreeFamily(name, &family)) << name;
    EXPECT_EQ(family, KmemHook::kKfree) << name;
  }
  ASSERT_TRUE(FreeFamily("kmem_cache_free", &family));
  EXPECT_EQ(family, KmemHook::kKmemCacheFree);
  EXPECT_FALSE(FreeFamily("free_pipe_info", &family));
}

}  // namespace
}  // namespace o2c::bpf
