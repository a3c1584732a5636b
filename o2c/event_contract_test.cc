// Unit tier: docs/events.md describes exactly what O2C emits: every field of
// o2c.Event, every key of its JSON line, every enum value, every event kind
// and every Prometheus metric, and the current schema_version.
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "o2c/enforcer.h"

namespace o2c {
namespace {

using ::google::protobuf::FieldDescriptor;
using ::testing::ContainerEq;
using ::testing::IsSubsetOf;

std::string ReadDoc() {
  std::ifstream in("docs/events.md");
  EXPECT_TRUE(in.good()) << "docs/events.md not in the test's runfiles";
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The text of "## <title>" up to the next "## ".
std::string Section(const std::string& doc, const std::string& title) {
  size_t start = doc.find("\n## " + title + "\n");
  EXPECT_NE(start, std::string::npos) << "docs/events.md has no section '" << title << "'";
  if (start == std::string::npos) return "";
  size_t end = doc.find("\n## ", start + 1);
  return doc.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// The first column of a table's rows, where it is `code`.
std::set<std::string> TableKeys(const std::string& section) {
  std::set<std::string> keys;
  static const std::regex kRow(R"(^\| `([A-Za-z0-9_]+)` \|)");
  for (absl::string_view line : absl::StrSplit(section, '\n')) {
    std::string l(line);
    std::smatch m;
    if (std::regex_search(l, m, kRow)) keys.insert(m[1]);
  }
  return keys;
}

std::set<std::string> ProtoFields() {
  std::set<std::string> fields;
  const auto* d = Event::descriptor();
  for (int i = 0; i < d->field_count(); ++i) fields.insert(d->field(i)->name());
  return fields;
}

// An event with every field set to a value that is not its default.
Event EveryFieldSet() {
  Event e;
  const auto* reflection = e.GetReflection();
  const auto* d = Event::descriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    const bool repeated = f->is_repeated();
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_UINT64:
        repeated ? reflection->AddUInt64(&e, f, 0xffffffff81000000)
                 : reflection->SetUInt64(&e, f, 0xffffffff81000000);
        break;
      case FieldDescriptor::CPPTYPE_INT64: reflection->SetInt64(&e, f, 64); break;
      case FieldDescriptor::CPPTYPE_UINT32: reflection->SetUInt32(&e, f, 32); break;
      case FieldDescriptor::CPPTYPE_INT32: reflection->SetInt32(&e, f, 3); break;
      case FieldDescriptor::CPPTYPE_BOOL: reflection->SetBool(&e, f, true); break;
      case FieldDescriptor::CPPTYPE_STRING:
        repeated ? reflection->AddString(&e, f, "x") : reflection->SetString(&e, f, "x");
        break;
      case FieldDescriptor::CPPTYPE_ENUM:
        repeated ? reflection->AddEnumValue(&e, f, 1) : reflection->SetEnumValue(&e, f, 1);
        break;
      default: ADD_FAILURE() << "field " << f->name() << " of a type this test does not set";
    }
  }
  return e;
}

TEST(EventContractTest, TheFieldTableIsExactlyTheProtoAndTheJsonExtras) {
  std::set<std::string> expected = ProtoFields();
  expected.insert({"schema_version", "error"});
  EXPECT_THAT(TableKeys(Section(ReadDoc(), "Fields")), ContainerEq(expected));
}

TEST(EventContractTest, EveryKeyTheJsonWriterEmitsIsDocumented) {
  std::string line = Enforcer::ToJsonLine(EveryFieldSet());
  google::protobuf::Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &parsed).ok()) << line;
  std::set<std::string> keys;
  for (const auto& [key, value] : parsed.fields()) keys.insert(key);
  std::set<std::string> all_fields = ProtoFields();
  all_fields.insert("schema_version");
  EXPECT_THAT(keys, ContainerEq(all_fields)) << line;  // every field reaches the line
  EXPECT_THAT(keys, IsSubsetOf(TableKeys(Section(ReadDoc(), "Fields"))));
}

TEST(EventContractTest, TheDocumentedSchemaVersionIsTheCurrentOne) {
  std::smatch m;
  std::string doc = ReadDoc();
  ASSERT_TRUE(std::regex_search(doc, m, std::regex(R"(\*\*schema_version (\d+)\*\*)")));
  EXPECT_EQ(std::stoi(m[1]), Enforcer::kEventSchemaVersion);
}

TEST(EventContractTest, EveryEnumValueIsDocumentedAndNoOther) {
  std::set<std::string> values;
  const auto* d = Event::descriptor();
  for (int i = 0; i < d->enum_type_count(); ++i) {
    for (int v = 0; v < d->enum_type(i)->value_count(); ++v) {
      values.insert(d->enum_type(i)->value(v)->name());
    }
  }
  std::string section = Section(ReadDoc(), "Enum values");
  std::set<std::string> documented;
  static const std::regex kValue("`([A-Z][A-Z0-9_]+)`");
  for (std::sregex_iterator it(section.begin(), section.end(), kValue), end; it != end; ++it) {
    documented.insert((*it)[1]);
  }
  EXPECT_THAT(documented, ContainerEq(values));
}

TEST(EventContractTest, EveryEventKindHasARow) {
  std::set<std::string> kinds;
  const auto* kind = Event::Kind_descriptor();
  for (int v = 0; v < kind->value_count(); ++v) {
    if (kind->value(v)->number() != 0) kinds.insert(kind->value(v)->name());
  }
  EXPECT_THAT(TableKeys(Section(ReadDoc(), "Event kinds")), ContainerEq(kinds));
}

TEST(EventContractTest, EveryMetricIsDocumentedAndNoOther) {
  EnforcerStats stats;
  stats.census_untracked = 0;  // with every optional metric
  std::set<std::string> metrics;
  static const std::regex kType(R"(# TYPE (\S+) )");
  std::string text = Enforcer::PrometheusText(stats, "pipe");
  for (std::sregex_iterator it(text.begin(), text.end(), kType), end; it != end; ++it) {
    metrics.insert((*it)[1]);
  }
  EXPECT_THAT(TableKeys(Section(ReadDoc(), "Counters (Prometheus)")), ContainerEq(metrics));
}

}  // namespace
}  // namespace o2c
