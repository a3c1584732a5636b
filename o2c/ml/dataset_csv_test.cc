#include "o2c/ml/dataset_csv.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "o2c/ml/dataset_file.h"
#include "o2c/ml/model.pb.h"
#include "absl/strings/str_cat.h"
#include "testing/status_matchers.h"

namespace o2c::ml {
namespace {

using ::o2c::testing::IsOk;
using ::o2c::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kGood[] =
    "# pipe.c objects, profiled under the pipe workload\n"
    "#feature slab_size: object size of the slab cache\n"
    "#values ptr0_class 0=NONE 2=COMPARTMENT_HEAP\n"
    "#classes own kernel\n"
    "slab_size,ptr0_class,label\n"
    "192,2,own\n"
    "\n"
    "1024, NONE ,1\r\n"
    "-8,7,0\n";

TEST(DatasetCsvTest, ParsesValuesDirectivesAndNames) {
  absl::StatusOr<Dataset> d = ParseDatasetCsv(kGood, "d.csv");
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(d->num_rows(), 3);
  EXPECT_EQ(d->num_features(), 2);
  EXPECT_THAT(d->Row(0), ElementsAre(192, 2));
  EXPECT_THAT(d->Row(1), ElementsAre(1024, 0));
  EXPECT_THAT(d->Row(2), ElementsAre(-8, 7));
  EXPECT_THAT(d->labels, ElementsAre(0, 1, 0));
  EXPECT_THAT(d->class_names, ElementsAre("own", "kernel"));
  EXPECT_EQ(d->schema.features[0].meaning, "object size of the slab cache");
  EXPECT_EQ(d->schema.FormatValue(1, 2), "COMPARTMENT_HEAP");
}

TEST(DatasetCsvTest, LabelColumnMayBeAnywhere) {
  absl::StatusOr<Dataset> d = ParseDatasetCsv("label,a\n1,5\n0,6\n", "d.csv");
  ASSERT_THAT(d, IsOk());
  EXPECT_THAT(d->labels, ElementsAre(1, 0));
  EXPECT_EQ(d->schema.Name(0), "a");
}

TEST(DatasetCsvTest, RoundTripThroughCsvAndProtobuf) {
  absl::StatusOr<Dataset> d = ParseDatasetCsv(kGood, "d.csv");
  ASSERT_THAT(d, IsOk());
  absl::StatusOr<Dataset> again = ParseDatasetCsv(FormatDatasetCsv(*d), "again.csv");
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->features, d->features);
  EXPECT_EQ(again->labels, d->labels);
  EXPECT_EQ(again->schema, d->schema);
  absl::StatusOr<Dataset> binary = ParseDatasetFile(SerializeDatasetFile(*d), "d.o2cd");
  ASSERT_THAT(binary, IsOk());
  EXPECT_EQ(binary->features, d->features);
  EXPECT_EQ(binary->schema, d->schema);
  EXPECT_EQ(binary->class_names, d->class_names);
}

// A column that describes rows without being a feature (prepare's
// free_path) goes out with WithColumn and comes off again with TakeColumn.
TEST(DatasetCsvTest, ADescriptiveColumnRoundTripsAndComesOff) {
  absl::StatusOr<Dataset> d = ParseDatasetCsv(kGood, "d.csv");
  ASSERT_THAT(d, IsOk());
  const std::vector<int64_t> path = {0, 1, 0};
  Dataset with = d->WithColumn({"free_path", "", {{0, "kfree"}, {1, "kmem_cache_free"}}}, path);
  absl::StatusOr<Dataset> again = ParseDatasetCsv(FormatDatasetCsv(with), "with.csv");
  ASSERT_THAT(again, IsOk());
  EXPECT_THAT(again->Row(1), ElementsAre(1024, 0, 1));
  std::optional<std::vector<int64_t>> taken = again->TakeColumn("free_path");
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(*taken, path);
  EXPECT_EQ(again->features, d->features);
  EXPECT_EQ(again->schema, d->schema);
  EXPECT_FALSE(again->TakeColumn("free_path").has_value());
  EXPECT_EQ(again->num_features(), 2);
}

struct BadCsv {
  const char* text;
  const char* error;
};

class DatasetCsvErrorTest : public ::testing::TestWithParam<BadCsv> {};

TEST_P(DatasetCsvErrorTest, NamesFileAndLine) {
  EXPECT_THAT(ParseDatasetCsv(GetParam().text, "d.csv"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(GetParam().error)));
}

INSTANTIATE_TEST_SUITE_P(
    Errors, DatasetCsvErrorTest,
    ::testing::Values(
        BadCsv{"a,b,label\n1,2,0\n1,2\n", "d.csv:3: 2 cells, expected 3"},
        BadCsv{"a,b,label\n1,2,0,9\n", "d.csv:2: 4 cells, expected 3"},
        BadCsv{"a,b,label\n1,2,0\n\n1,x1,0\n", "d.csv:4: column 'b': 'x1' is not an integer"},
        BadCsv{"a,b,label\n1,2,-1\n", "d.csv:2: label -1 is not a class index"},
        BadCsv{"a,b,label\n1,2,kernel\n", "d.csv:2: column 'label': 'kernel' is not an integer"},
        BadCsv{"a,b\n1,2\n", "d.csv:1: header has no 'label' column"},
        BadCsv{"a,a,label\n", "d.csv:1: feature 1: duplicate name 'a'"},
        BadCsv{"#values c 1=X\na,label\n", "d.csv:2: #values names unknown column 'c'"},
        BadCsv{"#values a 1\n", "d.csv:1: #values: '1' is not value=NAME"},
        BadCsv{"# only a comment\n", "d.csv:1: no header line"},
        BadCsv{"#classes own kernel\na,label\n1,2\n", "d.csv: row 0: label 2 is outside [0, 2)"},
        // The first of two label columns was once read as a missing feature.
        BadCsv{"label,a,label\n0,1,0\n", "d.csv:1: columns 1 and 3 are both 'label'"},
        // Indented, a header may start with '#'; written back it would not.
        BadCsv{"  #x,label\n1,0\n", "d.csv:1: column 1 name '#x' starts with '#'"},
        // The largest int32 label once overflowed counting the classes.
        BadCsv{"a,label\n1,2147483647\n",
               "d.csv: row 0: label 2147483647 is outside [0, 2147483647)"}));

TEST(DatasetCsvTest, MissingFile) {
  EXPECT_THAT(ReadDatasetCsv("/nonexistent/d.csv"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent/d.csv: cannot open")));
}

TEST(DatasetFileTest, RefusesAModelFileAndBadShapes) {
  EXPECT_THAT(ParseDatasetFile("O2CM....", "m.o2cd"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("m.o2cd: not an O2C dataset file")));
}

TEST(DatasetFileTest, RefusesARowCountThatTheLabelsDoNotBackUp) {
  // A huge row count over no features once ran a loop of 2^62 empty rows.
  proto::Dataset p;
  p.set_num_rows(int64_t{1} << 62);
  p.add_labels(0);
  EXPECT_THAT(ParseDatasetFile(SealEnvelope(kDatasetFileKind, p.SerializeAsString()), "d.o2cd"),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("d.o2cd: 1 labels for 4611686018427387904 rows")));
  // With the rows backed by labels, the values must still fill rows x features.
  p.set_num_rows(1);
  for (int i = 0; i < 3; ++i) p.mutable_schema()->add_features()->set_name(absl::StrCat("f", i));
  EXPECT_THAT(ParseDatasetFile(SealEnvelope(kDatasetFileKind, p.SerializeAsString()), "d.o2cd"),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("d.o2cd: 0 values for 1 rows of 3 features")));
}

}  // namespace
}  // namespace o2c::ml
