#include "o2c/victims/victim_types.h"

#include <algorithm>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace o2c::victims {
namespace {

using ::o2c::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

const ResolvedVictim& Named(const std::vector<ResolvedVictim>& all, const std::string& name) {
  auto it = std::find_if(all.begin(), all.end(),
                         [&](const ResolvedVictim& v) { return v.type->name == name; });
  EXPECT_NE(it, all.end()) << name;
  return *it;
}

TEST(VictimCatalogueTest, EveryTypeSaysWhatItIsAndHowToFindIt) {
  ASSERT_GE(VictimCatalogue().size(), 10u);
  for (const VictimType& t : VictimCatalogue()) {
    EXPECT_FALSE(t.name.empty());
    EXPECT_FALSE(t.cache.empty()) << t.name;
    EXPECT_FALSE(t.why.empty()) << t.name;
    EXPECT_FALSE(t.alloc_functions.empty()) << t.name;
  }
}

TEST(ResolveVictimsTest, FunctionsWithTheirColdPartsAndWhatIsAbsent) {
  auto kallsyms = bpf::Kallsyms::FromText(
      "ffffffff81000000 T _stext\n"
      "ffffffff81001000 T single_open\n"
      "ffffffff81001100 T single_open_size\n"
      "ffffffff81002000 T alloc_empty_file\n"
      "ffffffff81002200 T alloc_empty_file_noaccount\n"
      "ffffffff81002300 T init_file\n"
      "ffffffff81009000 t alloc_empty_file.cold\n"
      "ffffffff81009040 t load_msg.isra.0\n"
      "ffffffff81009100 t free_msg\n"
      "ffffffff8100a000 T _etext\n"
      "ffffffffc0001000 t alloc_tty_struct\t[some_module]\n"
      "ffffffffc0002000 t module_end\t[some_module]\n");
  ASSERT_THAT(kallsyms, IsOk());
  std::vector<ResolvedVictim> all = ResolveVictims(*kallsyms);
  ASSERT_EQ(all.size(), VictimCatalogue().size());

  const ResolvedVictim& seq = Named(all, "seq_operations");
  EXPECT_TRUE(seq.present());
  ASSERT_EQ(seq.ranges.size(), 1u);
  EXPECT_EQ(seq.ranges[0].start, 0xffffffff81001000u);
  EXPECT_EQ(seq.ranges[0].end, 0xffffffff81001100u) << "single_open_size is not single_open";

  const ResolvedVictim& file = Named(all, "file");
  EXPECT_THAT(file.found, UnorderedElementsAre("alloc_empty_file", "alloc_empty_file.cold",
                                               "alloc_empty_file_noaccount"));
  EXPECT_THAT(file.absent, ElementsAre("alloc_empty_backing_file", "__alloc_file"));
  ASSERT_EQ(file.ranges.size(), 3u);
  EXPECT_TRUE(std::is_sorted(file.ranges.begin(), file.ranges.end(),
                             [](auto& a, auto& b) { return a.start < b.start; }));

  const ResolvedVictim& msg = Named(all, "msg_msg");
  EXPECT_THAT(msg.found, ElementsAre("load_msg.isra.0"));
  EXPECT_THAT(msg.absent, ElementsAre("alloc_msg"));

  const ResolvedVictim& tty = Named(all, "tty_struct");
  EXPECT_FALSE(tty.present()) << "a module's function of the same name is not the kernel's";
  EXPECT_THAT(tty.found, IsEmpty());
}

}  // namespace
}  // namespace o2c::victims
