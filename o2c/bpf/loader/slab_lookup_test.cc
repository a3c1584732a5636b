// Choosing the slab walk from a kernel's symbol table: it needs all three
// memory-layout variables, as data, from vmlinux.
#include "o2c/bpf/loader/slab_lookup.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace o2c::bpf {
namespace {

using ::testing::HasSubstr;

Kallsyms Table(const char* text) {
  absl::StatusOr<Kallsyms> k = Kallsyms::FromText(text);
  EXPECT_TRUE(k.ok()) << k.status();
  return k.ok() ? *std::move(k) : Kallsyms::FromText("ffffffff81000000 T _stext\n").value();
}

TEST(SlabLookupTest, WalksWhenKallsymsNamesTheLayoutVariables) {
  SlabLookup s = SlabLookupWithoutKfunc(Table(
      "ffffffff81000000 T _stext\n"
      "ffffffff82a1b008 D page_offset_base\n"
      "ffffffff82a1b010 D vmemmap_base\n"
      "ffffffff83c4d2a0 B max_pfn\n"));
  EXPECT_EQ(s.method, O2C_SLAB_LOOKUP_WALK) << s.why;
  EXPECT_EQ(s.layout.vmemmap_base, 0xffffffff82a1b010ull);
  EXPECT_EQ(s.layout.page_offset_base, 0xffffffff82a1b008ull);
  EXPECT_EQ(s.layout.max_pfn, 0xffffffff83c4d2a0ull);
  EXPECT_STREQ(SlabLookupName(s.method), "walk");
}

TEST(SlabLookupTest, NoneWithoutDataSymbolsAndSaysWhichIsMissing) {
  // A kernel without CONFIG_KALLSYMS_ALL lists no data symbols.
  SlabLookup s = SlabLookupWithoutKfunc(Table(
      "ffffffff81000000 T _stext\n"
      "ffffffff82a1b008 D page_offset_base\n"));
  EXPECT_EQ(s.method, O2C_SLAB_LOOKUP_NONE);
  EXPECT_THAT(s.why, HasSubstr("'vmemmap_base'"));
  EXPECT_EQ(s.layout.page_offset_base, 0u) << "no half-filled layout";
}

TEST(SlabLookupTest, AFunctionOrAModuleSymbolOfTheSameNameIsNotTheVariable) {
  SlabLookup s = SlabLookupWithoutKfunc(Table(
      "ffffffff81000000 T _stext\n"
      "ffffffff82a1b008 D page_offset_base\n"
      "ffffffffc0001000 d vmemmap_base\t[some_module]\n"
      "ffffffff83c4d2a0 B max_pfn\n"));
  EXPECT_EQ(s.method, O2C_SLAB_LOOKUP_NONE);
  EXPECT_THAT(s.why, HasSubstr("'vmemmap_base'"));
}

}  // namespace
}  // namespace o2c::bpf
