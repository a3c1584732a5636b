#include "o2c/audition_model.h"

#include <cstdlib>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "o2c/internal/file_util.h"
#include "o2c/ml/model_file.h"
#include "o2c/testonly/test_trees.h"
#include "testing/status_matchers.h"

namespace o2c {
namespace {

using ::o2c::testing::IsOk;
using ::o2c::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string TempPath(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

AuditionModel Example() {
  absl::StatusOr<AuditionModel> m = AuditionModel::Create(
      ml::testing::AuditionTree(), ml::testing::AuditionSchema(), ml::testing::AuditionClasses());
  EXPECT_THAT(m, IsOk());
  return *m;
}

TEST(AuditionModelTest, PredictGivesClassLeafAndPath) {
  absl::StatusOr<AuditionVerdict> v = Example().Predict(std::vector<int64_t>{128, 2});
  ASSERT_THAT(v, IsOk());
  EXPECT_EQ(v->label, 0);
  EXPECT_EQ(v->class_name, "own");
  EXPECT_EQ(v->leaf_id, 2);
  EXPECT_THAT(v->path, ElementsAre(0, 1, 4, 5));
  EXPECT_THAT(Example().Predict(std::vector<int64_t>{128}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("audition model takes 2 features, got 1")));
}

TEST(AuditionModelTest, ExplainsInTheSchemasWords) {
  absl::StatusOr<std::string> why = Example().Explain(std::vector<int64_t>{128, 2});
  ASSERT_THAT(why, IsOk());
  EXPECT_EQ(*why, "slab_size <= 192 and ptr0_class == COMPARTMENT_HEAP -> own");
  EXPECT_THAT(Example().ToDot(), HasSubstr("slab_size <= 192"));
  EXPECT_EQ(Example().FeatureImportances().size(), 2u);
}

TEST(AuditionModelTest, RuleToALeafIsTheRuleASampleReachingItFollows) {
  absl::StatusOr<AuditionVerdict> v = Example().Predict(std::vector<int64_t>{128, 2});
  ASSERT_THAT(v, IsOk());
  EXPECT_EQ(Example().RuleToLeaf(v->leaf_id), *Example().Explain(std::vector<int64_t>{128, 2}));
  EXPECT_EQ(Example().RuleToLeaf(12345), "");
}

TEST(AuditionModelTest, SaveLoadRoundTrip) {
  AuditionModel model = Example();
  model.set_description("test model");
  const std::string path = TempPath("round.o2cm");
  ASSERT_THAT(model.Save(path), IsOk());
  absl::StatusOr<AuditionModel> back = AuditionModel::Load(path, ml::testing::AuditionSchema());
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->description(), "test model");
  EXPECT_EQ(back->class_names(), model.class_names());
  EXPECT_EQ(back->schema(), model.schema());
  for (int64_t size : {64, 192, 256}) {
    for (int64_t cls : {0, 1, 2, 3}) {
      std::vector<int64_t> x = {size, cls};
      EXPECT_EQ(back->Predict(x)->leaf_id, model.Predict(x)->leaf_id);
    }
  }
}

// The fixture tree with mixed leaves: P(own) is 0.25, 0.5, 0.9 and 0.2 at
// nodes 2, 3, 5 and 6 (leaf ids 0..3); "own" is class 0 here.
AuditionModel MixedLeaves() {
  ml::DecisionTree tree = ml::testing::AuditionTree();
  tree.nodes[2].class_weights = {10, 30};
  tree.nodes[3].class_weights = {5, 5};
  tree.nodes[5].class_weights = {36, 4};
  tree.nodes[6].class_weights = {2, 8};
  absl::StatusOr<AuditionModel> m = AuditionModel::Create(
      std::move(tree), ml::testing::AuditionSchema(), ml::testing::AuditionClasses());
  EXPECT_THAT(m, IsOk());
  return *m;
}

// One sample per leaf: nodes 2, 3, 5, 6.
const std::vector<std::vector<int64_t>> kOnePerLeaf = {{256, 0}, {128, 0}, {128, 2}, {128, 3}};

std::vector<std::string> ClassPerLeaf(const AuditionModel& model) {
  std::vector<std::string> classes;
  for (const std::vector<int64_t>& x : kOnePerLeaf) classes.push_back(model.Predict(x)->class_name);
  return classes;
}

TEST(AuditionModelTest, OwnThresholdRelabelsLeavesByTheirOwnProbability) {
  const AuditionModel model = MixedLeaves();
  absl::StatusOr<AuditionModel> half = model.WithOwnThreshold(0.5);
  ASSERT_THAT(half, IsOk());
  // 0.5 itself is own: the comparison is >=.
  EXPECT_THAT(ClassPerLeaf(*half), ElementsAre("kernel", "own", "own", "kernel"));
  absl::StatusOr<AuditionModel> low = model.WithOwnThreshold(0.2);
  ASSERT_THAT(low, IsOk());
  EXPECT_THAT(ClassPerLeaf(*low), ElementsAre("own", "own", "own", "own"));
  absl::StatusOr<AuditionModel> high = model.WithOwnThreshold(0.95);
  ASSERT_THAT(high, IsOk());
  EXPECT_THAT(ClassPerLeaf(*high), ElementsAre("kernel", "kernel", "kernel", "kernel"));
  // Shape, leaf ids and the original model are untouched.
  for (const std::vector<int64_t>& x : kOnePerLeaf) {
    EXPECT_EQ(high->Predict(x)->leaf_id, model.Predict(x)->leaf_id);
    EXPECT_EQ(high->Predict(x)->path, model.Predict(x)->path);
  }
  EXPECT_THAT(ClassPerLeaf(model), ElementsAre("kernel", "kernel", "own", "kernel"));
}

TEST(AuditionModelTest, OwnThresholdKeepsTheLabelOfAnUnweightedLeaf) {
  ml::DecisionTree tree = MixedLeaves().tree();
  tree.nodes[3].class_weights.clear();     // leaf 1, labelled kernel
  tree.nodes[5].class_weights = {0, 0};    // leaf 2, labelled own
  absl::StatusOr<AuditionModel> hand_made = AuditionModel::Create(
      tree, ml::testing::AuditionSchema(), ml::testing::AuditionClasses());
  ASSERT_THAT(hand_made, IsOk());
  absl::StatusOr<AuditionModel> low = hand_made->WithOwnThreshold(0.2);
  ASSERT_THAT(low, IsOk());
  EXPECT_THAT(ClassPerLeaf(*low), ElementsAre("own", "kernel", "own", "own"));
  absl::StatusOr<AuditionModel> high = hand_made->WithOwnThreshold(1);
  ASSERT_THAT(high, IsOk());
  EXPECT_THAT(ClassPerLeaf(*high), ElementsAre("kernel", "kernel", "own", "kernel"));
}

TEST(AuditionModelTest, OwnThresholdRefusals) {
  EXPECT_THAT(MixedLeaves().WithOwnThreshold(1.5),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("own threshold 1.5 is outside [0, 1]")));
  EXPECT_THAT(MixedLeaves().WithOwnThreshold(-0.1),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("own threshold -0.1 is outside [0, 1]")));
  absl::StatusOr<AuditionModel> unnamed =
      AuditionModel::Create(ml::testing::AuditionTree(), ml::testing::AuditionSchema(), {});
  ASSERT_THAT(unnamed, IsOk());
  EXPECT_THAT(unnamed->WithOwnThreshold(0.5),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("no class of the model is named 'own'")));
}

TEST(AuditionModelTest, CreateRefusesAMismatchedTree) {
  ml::FeatureSchema one = ml::testing::AuditionSchema();
  one.features.pop_back();
  EXPECT_THAT(AuditionModel::Create(ml::testing::AuditionTree(), one, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("tree reads 2 features but the schema has 1")));
  ml::DecisionTree bad = ml::testing::AuditionTree();
  bad.nodes[0].left = 0;
  EXPECT_THAT(AuditionModel::Create(bad, ml::testing::AuditionSchema(), {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("node 0: child 0")));
}

// Writes `bytes` to a temp file and loads it as a model.
absl::StatusOr<AuditionModel> LoadBytes(const std::string& name, const std::string& bytes) {
  const std::string path = TempPath(name);
  EXPECT_THAT(internal::WriteFileBytes(path, bytes), IsOk());
  return AuditionModel::Load(path);
}

TEST(AuditionModelTest, BadFilesAreRefusedNamingFileAndProblem) {
  const std::string path = TempPath("good.o2cm");
  ASSERT_THAT(Example().Save(path), IsOk());
  absl::StatusOr<std::string> good = internal::ReadFileBytes(path);
  ASSERT_THAT(good, IsOk());

  EXPECT_THAT(LoadBytes("truncated.o2cm", good->substr(0, good->size() / 2)),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("truncated.o2cm: truncated or corrupted model file")));
  std::string flipped = *good;
  flipped[flipped.size() - 5] ^= 0x10;
  EXPECT_THAT(LoadBytes("flipped.o2cm", flipped),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("flipped.o2cm: checksum mismatch")));
  EXPECT_THAT(LoadBytes("v2.o2cm", ml::SealEnvelope({"O2CM", 2, "model"}, "a future payload")),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("v2.o2cm: model format version 2, this build reads version 1")));
  EXPECT_THAT(LoadBytes("policy.txt", "compartment \"pipe\" {}\n"),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("policy.txt: not an O2C model file")));
  EXPECT_THAT(AuditionModel::Load(TempPath("missing.o2cm")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing.o2cm: cannot open")));
}

TEST(AuditionModelTest, WrongSchemaIsRefused) {
  const std::string path = TempPath("schema.o2cm");
  ASSERT_THAT(Example().Save(path), IsOk());
  ml::FeatureSchema renamed = ml::testing::AuditionSchema();
  renamed.features[1].name = "ptr1_class";
  EXPECT_THAT(AuditionModel::Load(path, renamed),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("schema.o2cm: wrong feature schema: schema feature 1 is "
                                 "'ptr0_class', expected 'ptr1_class'")));
  ml::FeatureSchema longer = ml::testing::AuditionSchema();
  longer.features.push_back({"free_site", "", {}});
  EXPECT_THAT(AuditionModel::Load(path, longer),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("schema has 2 features, expected 3")));
  ml::FeatureSchema renumbered = ml::testing::AuditionSchema();
  renumbered.features[1].value_names[2] = "KERNEL_DATA";
  EXPECT_THAT(AuditionModel::Load(path, renumbered),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("different enum values")));
}

TEST(AuditionModelTest, AForestFileIsNotAnAuditionModel) {
  ml::ModelFile forest;
  forest.schema = ml::testing::AuditionSchema();
  forest.trees = {ml::testing::AuditionTree(), ml::testing::AuditionTree()};
  const std::string path = TempPath("forest.o2cm");
  ASSERT_THAT(ml::WriteModelFile(forest, path), IsOk());
  EXPECT_THAT(AuditionModel::Load(path),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("forest.o2cm: holds a forest of 2 trees")));
}

}  // namespace
}  // namespace o2c
