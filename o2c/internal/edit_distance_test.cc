#include "o2c/internal/edit_distance.h"

#include "gtest/gtest.h"

namespace o2c {
namespace {

TEST(EditDistanceTest, CountsInsertionsDeletionsAndSubstitutions) {
  EXPECT_EQ(EditDistance("action", "action", 5), 0u);
  EXPECT_EQ(EditDistance("acton", "action", 5), 1u);
  EXPECT_EQ(EditDistance("kitten", "sitting", 5), 3u);
  EXPECT_EQ(EditDistance("", "abc", 5), 3u);
}

TEST(EditDistanceTest, StopsPastTheLimit) {
  EXPECT_EQ(EditDistance("kitten", "sitting", 1), 2u);
  EXPECT_EQ(EditDistance("a", "abcdefgh", 2), 3u);
}

TEST(NearestNameTest, PicksTheClosestWithinAThird) {
  EXPECT_EQ(NearestName("acton", {"allow", "action", "deny"}), "action");
  EXPECT_EQ(NearestName("AUDT", {"AUDIT", "KILL"}), "AUDIT");
  EXPECT_EQ(NearestName("xyz", {"action", "deny"}), "");
}

}  // namespace
}  // namespace o2c
