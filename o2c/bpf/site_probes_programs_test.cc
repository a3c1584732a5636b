#include "o2c/bpf/site_probes_programs.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace o2c::bpf {
namespace {

using ::o2c::testing::IsOk;
using ::o2c::testing::StatusIs;
using ::testing::HasSubstr;

// Two functions, one of them a static whose name another file shares.
constexpr char kTable[] =
    "ffffffff81000000 T _stext\n"
    "ffffffff81000100 t free_pipe_info\n"
    "ffffffff81000200 t alloc_pipe_info\n"
    "ffffffff81000300 t show_info\n"
    "ffffffff81000400 t show_info\n"
    "ffffffff81000500 T _etext\n";

TEST(SiteProbesTest, AllocationsAreProbedAfterTheCallFreesAtIt) {
  auto kallsyms = Kallsyms::FromText(kTable);
  ASSERT_THAT(kallsyms, IsOk());
  auto probes = PlanSiteProbes(
      {{.alloc = true, .callee = "__kmalloc", .call_address = 0xffffffff81000210,
        .return_address = 0xffffffff81000215},
       {.alloc = false, .callee = "kfree", .call_address = 0xffffffff81000120,
        .return_address = 0xffffffff81000125, .tail = true},
       {.alloc = false, .callee = "kmem_cache_free", .call_address = 0xffffffff81000130,
        .return_address = 0xffffffff81000135}},
      *kallsyms);
  ASSERT_THAT(probes, IsOk());
  ASSERT_EQ(probes->size(), 3u);
  EXPECT_EQ((*probes)[0].kind, SiteProbeKind::kAlloc);
  EXPECT_EQ((*probes)[0].symbol, "alloc_pipe_info");
  EXPECT_EQ((*probes)[0].offset, 0x15u) << "after the call: the object is in rax";
  EXPECT_EQ((*probes)[0].site, 0xffffffff81000215u);
  EXPECT_EQ((*probes)[1].kind, SiteProbeKind::kKfree);
  EXPECT_EQ((*probes)[1].offset, 0x20u) << "at the jump: the object is in rdi";
  EXPECT_EQ((*probes)[1].site, 0xffffffff81000125u);
  EXPECT_EQ((*probes)[2].kind, SiteProbeKind::kKmemCacheFree);
}

TEST(SiteProbesTest, SitesNoProbeCanServeAreRefusedByName) {
  auto kallsyms = Kallsyms::FromText(kTable);
  ASSERT_THAT(kallsyms, IsOk());
  EXPECT_THAT(PlanSiteProbes({{.alloc = true, .callee = "__kmalloc",
                               .call_address = 0xffffffff81000210,
                               .return_address = 0xffffffff81000215, .tail = true}},
                             *kallsyms),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("alloc_pipe_info+0x10 is a tail jump")));
  EXPECT_THAT(PlanSiteProbes({{.alloc = false, .callee = "kvfree_call_rcu",
                               .call_address = 0xffffffff81000120,
                               .return_address = 0xffffffff81000125}},
                             *kallsyms),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("kvfree_call_rcu")));
  EXPECT_THAT(PlanSiteProbes({{.alloc = false, .callee = "kfree",
                               .call_address = 0xffffffff81000410,
                               .return_address = 0xffffffff81000415}},
                             *kallsyms),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("2 symbols are called 'show_info'")));
}

TEST(SiteProbesTest, FreeProbeKinds) {
  SiteProbeKind kind;
  for (const char* f : {"kfree", "kvfree", "kfree_sensitive", "kvfree_sensitive"}) {
    ASSERT_TRUE(FreeProbeKind(f, &kind)) << f;
    EXPECT_EQ(kind, SiteProbeKind::kKfree);
  }
  ASSERT_TRUE(FreeProbeKind("kmem_cache_free", &kind));
  EXPECT_EQ(kind, SiteProbeKind::kKmemCacheFree);
  EXPECT_FALSE(FreeProbeKind("kfree_bulk", &kind));
  EXPECT_FALSE(FreeProbeKind("kmem_cache_free_bulk", &kind));
}

}  // namespace
}  // namespace o2c::bpf
