#include "o2c/victims/victim_miss_rate.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "o2c/bpf/extractor_schema.h"
#include "testing/status_matchers.h"

namespace o2c::victims {
namespace {

using ::o2c::testing::IsOk;
using ::o2c::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(WilsonIntervalTest, KnownValues) {
  Interval none = WilsonInterval(0, 10);
  EXPECT_DOUBLE_EQ(none.low, 0);
  EXPECT_NEAR(none.high, 0.2775, 1e-4);
  Interval half = WilsonInterval(5, 10);
  EXPECT_NEAR(half.low, 0.2366, 1e-4);
  EXPECT_NEAR(half.high, 0.7634, 1e-4);
  Interval all = WilsonInterval(1000, 1000);
  EXPECT_NEAR(all.low, 0.99617, 1e-5);
  EXPECT_DOUBLE_EQ(all.high, 1);
  Interval empty = WilsonInterval(0, 0);
  EXPECT_EQ(empty.low, 0);
  EXPECT_EQ(empty.high, 1);
}

// A model over the extractor's schema, whichever features it has: feature 0
// above 5 is "own".
AuditionModel FirstFeatureModel() {
  ml::DecisionTree tree;
  tree.num_features = bpf::ExtractorFeatureSchema().size();
  tree.num_classes = 2;
  tree.nodes.resize(3);
  tree.nodes[0].feature = 0;
  tree.nodes[0].threshold = 5;
  tree.nodes[0].left = 1;
  tree.nodes[0].right = 2;
  tree.nodes[1].label = 0;
  tree.nodes[1].leaf_id = 0;
  tree.nodes[2].label = 1;
  tree.nodes[2].leaf_id = 1;
  auto model = AuditionModel::Create(tree, bpf::ExtractorFeatureSchema(), {"kernel", "own"});
  EXPECT_THAT(model, IsOk());
  return *model;
}

// Four types: harvested, compartment-own, absent, present but not made.
VictimHarvest FourTypes(const std::vector<int64_t>& first_feature, const std::vector<int>& type) {
  static const std::vector<VictimType>& catalogue = VictimCatalogue();
  VictimHarvest h;
  for (int i = 0; i < 4; ++i) {
    HarvestedType t;
    t.victim.type = &catalogue[i];
    if (i != 2) t.victim.ranges = {{0x1000u * (i + 1), 0x1000u * (i + 1) + 0x100}};
    t.compartment_own = i == 1;
    h.types.push_back(t);
  }
  h.dataset.schema = bpf::ExtractorFeatureSchema();
  h.dataset.features = ml::FeatureMatrix::Zero(
      first_feature.size(), h.dataset.schema.size());
  for (size_t r = 0; r < first_feature.size(); ++r) h.dataset.features(r, 0) = first_feature[r];
  h.dataset.labels.assign(first_feature.size(), 0);
  h.type_of_row = type;
  return h;
}

TEST(ScoreVictimsTest, CountsMissesPerTypeAndListsTheRest) {
  VictimHarvest h = FourTypes({1, 9, 2, 3}, {0, 0, 0, 0});
  auto rates = ScoreVictims(FirstFeatureModel(), h);
  ASSERT_THAT(rates, IsOk());
  ASSERT_EQ(rates->types.size(), 1u);
  EXPECT_EQ(rates->types[0].type, VictimCatalogue()[0].name);
  EXPECT_EQ(rates->types[0].objects, 4);
  EXPECT_EQ(rates->types[0].called_own, 1);
  EXPECT_DOUBLE_EQ(rates->types[0].rate(), 0.25);
  EXPECT_EQ(rates->all.objects, 4);
  EXPECT_EQ(rates->all.called_own, 1);
  EXPECT_LT(rates->all.interval.low, 0.25);
  EXPECT_GT(rates->all.interval.high, 0.25);
  EXPECT_THAT(rates->compartment_own, ElementsAre(VictimCatalogue()[1].name));
  EXPECT_THAT(rates->absent, ElementsAre(VictimCatalogue()[2].name));
  EXPECT_THAT(rates->not_made, ElementsAre(VictimCatalogue()[3].name));
  const std::string text = FormatMissRates(*rates);
  EXPECT_THAT(text, HasSubstr("0.2500"));
  EXPECT_THAT(text, HasSubstr(absl::StrCat("types the model lets through: ",
                                           VictimCatalogue()[0].name, " (0.2500)")));
  EXPECT_THAT(MissRatesMarkdown(*rates), HasSubstr("## Victims"));
}

TEST(ScoreVictimsTest, RefusesAModelOfAnotherSchema) {
  VictimHarvest h = FourTypes({1}, {0});
  h.dataset.schema.features.pop_back();
  h.dataset.features.conservativeResize(1, h.dataset.schema.size());
  EXPECT_THAT(ScoreVictims(FirstFeatureModel(), h),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("feature schema")));
}

}  // namespace
}  // namespace o2c::victims
