#include "o2c/ml/model_file.h"

#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "o2c/ml/model.pb.h"
#include "o2c/testonly/test_trees.h"
#include "testing/status_matchers.h"

namespace o2c::ml {
namespace {

using ::o2c::testing::IsOk;
using ::o2c::testing::StatusIs;
using ::testing::HasSubstr;

ModelFile Example() {
  ModelFile m;
  m.schema = testing::AuditionSchema();
  m.class_names = testing::AuditionClasses();
  m.trees = {testing::AuditionTree()};
  m.criterion = "gini";
  m.description = "hand-made";
  return m;
}

TEST(Crc32Test, KnownValue) { EXPECT_EQ(Crc32("123456789"), 0xCBF43926u); }

TEST(ModelFileTest, RoundTrip) {
  absl::StatusOr<ModelFile> back = ParseModelFile(SerializeModelFile(Example()), "m.o2cm");
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->schema, Example().schema);
  EXPECT_EQ(back->class_names, Example().class_names);
  EXPECT_EQ(back->description, "hand-made");
  ASSERT_EQ(back->trees.size(), 1u);
  const DecisionTree& t = back->trees[0];
  const DecisionTree want = testing::AuditionTree();
  ASSERT_EQ(t.nodes.size(), want.nodes.size());
  for (size_t i = 0; i < t.nodes.size(); ++i) {
    EXPECT_EQ(t.nodes[i].feature, want.nodes[i].feature);
    EXPECT_EQ(t.nodes[i].threshold, want.nodes[i].threshold);
    EXPECT_EQ(t.nodes[i].left, want.nodes[i].left);
    EXPECT_EQ(t.nodes[i].leaf_id, want.nodes[i].leaf_id);
    EXPECT_EQ(t.nodes[i].class_weights, want.nodes[i].class_weights);
  }
}

TEST(ModelFileTest, TheExtractorVersionRoundTripsAndIsCompared) {
  ModelFile m = Example();
  m.schema.extractor_version = 3;
  absl::StatusOr<ModelFile> back = ParseModelFile(SerializeModelFile(m), "m.o2cm");
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->schema.extractor_version, 3u);
  FeatureSchema v4 = m.schema;
  v4.extractor_version = 4;
  EXPECT_THAT(CompareSchemas(v4, back->schema),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("feature extractor v3, expected v4")));
  // 0 is unknown (a CSV dataset, an older file): the names decide.
  FeatureSchema unknown = m.schema;
  unknown.extractor_version = 0;
  EXPECT_THAT(CompareSchemas(v4, unknown), IsOk());
}

TEST(ModelFileTest, EveryTruncationIsRefused) {
  const std::string bytes = SerializeModelFile(Example());
  for (size_t len = 0; len < bytes.size(); ++len) {
    absl::StatusOr<ModelFile> m = ParseModelFile(bytes.substr(0, len), "m.o2cm");
    ASSERT_FALSE(m.ok()) << "accepted " << len << " of " << bytes.size() << " bytes";
    EXPECT_THAT(m, StatusIs(absl::StatusCode::kDataLoss, HasSubstr("m.o2cm: "))) << len;
  }
  EXPECT_THAT(ParseModelFile(bytes.substr(0, bytes.size() - 3), "m.o2cm"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("truncated or corrupted")));
}

TEST(ModelFileTest, AFlippedBitInThePayloadFailsTheChecksum) {
  std::string bytes = SerializeModelFile(Example());
  bytes[bytes.size() - 10] ^= 0x04;
  EXPECT_THAT(ParseModelFile(bytes, "m.o2cm"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("m.o2cm: checksum mismatch")));
}

TEST(ModelFileTest, EveryFlippedBitIsRefused) {
  const std::string bytes = SerializeModelFile(Example());
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string flipped = bytes;
      flipped[i] ^= static_cast<char>(1 << bit);
      EXPECT_FALSE(ParseModelFile(flipped, "m.o2cm").ok()) << "byte " << i << " bit " << bit;
    }
  }
}

TEST(ModelFileTest, WrongVersion) {
  proto::Model future_model;
  future_model.set_description("from a future version");
  const EnvelopeKind future = {"O2CM", 2, "model"};
  EXPECT_THAT(ParseModelFile(SealEnvelope(future, future_model.SerializeAsString()), "m.o2cm"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("m.o2cm: model format version 2, this build reads version 1")));
}

TEST(ModelFileTest, NotAModelAtAll) {
  EXPECT_THAT(ParseModelFile("slab_size,label\n1,0\n", "d.csv"),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("d.csv: not an O2C model file (it does not start with 'O2CM')")));
  EXPECT_THAT(ParseModelFile("", "empty"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("empty: not an O2C model file")));
}

TEST(ModelFileTest, ChecksummedButInvalidTreeIsRefused) {
  ModelFile m = Example();
  m.trees[0].nodes[4].right = 9;
  // SerializeModelFile does not check: it stands for a buggy or hostile writer.
  std::string bytes = SerializeModelFile(m);
  EXPECT_THAT(ParseModelFile(bytes, "m.o2cm"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("m.o2cm: invalid model: tree 0: node 4: child 9 outside [1, 7)")));
  EXPECT_THAT(WriteModelFile(m, "/nonexistent/m.o2cm"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("refusing to write")));
}

TEST(ModelFileTest, AHugeLeafIdIsRefusedBeforeItSizesAnything) {
  ModelFile m = Example();
  m.trees[0].nodes[6].leaf_id = std::numeric_limits<int32_t>::max();
  EXPECT_THAT(ParseModelFile(SerializeModelFile(m), "m.o2cm"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("m.o2cm: invalid model: tree 0: node 6: leaf ids are not dense: "
                                 "leaf id 2147483647 in a tree of 7 nodes")));
}

TEST(ModelFileTest, TreeAndSchemaMustAgree) {
  ModelFile m = Example();
  m.schema.features.pop_back();
  EXPECT_THAT(ParseModelFile(SerializeModelFile(m), "m.o2cm"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("tree 0 reads 2 features but the schema has 1")));
  m = Example();
  m.class_names.push_back("third");
  EXPECT_THAT(ParseModelFile(SerializeModelFile(m), "m.o2cm"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("3 class names")));
}

}  // namespace
}  // namespace o2c::ml
