// Unit tier: Enforcer::PrometheusText is valid text exposition format, says
// every counter with its value, and labels samples with bounded sets only.
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "o2c/enforcer.h"

namespace o2c {
namespace {

using ::testing::ElementsAre;
using ::testing::IsSubsetOf;
using ::testing::Pair;

struct ParsedSample {
  std::map<std::string, std::string> labels;
  int64_t value = 0;
};

struct ParsedMetric {
  std::string type;
  std::string help;
  std::vector<ParsedSample> samples;
};

// Label values with the format's escapes undone.
std::string Unescape(const std::string& value) {
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\\' && i + 1 < value.size()) {
      ++i;
      out += value[i] == 'n' ? '\n' : value[i];
    } else {
      out += value[i];
    }
  }
  return out;
}

// A strict reader of the text format: HELP, then TYPE, then the metric's
// samples, every line well-formed. A failure names the offending line.
std::map<std::string, ParsedMetric> Parse(const std::string& text) {
  static const std::regex kHelp(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+))");
  static const std::regex kType(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge))");
  static const std::regex kSample(R"(([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (-?[0-9]+))");
  static const std::regex kLabel(R"(([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)\"(,|$))");
  std::map<std::string, ParsedMetric> metrics;
  std::string current;  // the metric whose HELP and TYPE came last
  EXPECT_TRUE(!text.empty() && text.back() == '\n');
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::string l(line);
    std::smatch m;
    if (std::regex_match(l, m, kHelp)) {
      EXPECT_EQ(metrics.count(m[1]), 0u) << "metric described twice: " << l;
      current = m[1];
      metrics[current].help = m[2];
    } else if (std::regex_match(l, m, kType)) {
      EXPECT_EQ(m[1], current) << "TYPE without its HELP: " << l;
      metrics[current].type = m[2];
    } else if (std::regex_match(l, m, kSample)) {
      EXPECT_EQ(m[1], current) << "sample outside its metric's block: " << l;
      EXPECT_FALSE(metrics[current].type.empty()) << "sample before TYPE: " << l;
      ParsedSample sample;
      EXPECT_TRUE(absl::SimpleAtoi(std::string(m[3]), &sample.value)) << l;
      std::string labels = m[2];
      for (std::sregex_iterator it(labels.begin(), labels.end(), kLabel), end; it != end; ++it) {
        sample.labels[(*it)[1]] = Unescape((*it)[2]);
      }
      metrics[current].samples.push_back(sample);
    } else {
      ADD_FAILURE() << "not a line of the text format: " << l;
    }
  }
  return metrics;
}

EnforcerStats SomeStats() {
  EnforcerStats s;
  s.tracked = 100;
  s.freed_own = 60;
  s.freed_by_kernel = 5;
  s.untracked_frees = 9;
  s.audition_own = 7;
  s.audition_kernel = 2;
  s.violations = 2;
  s.kills = 1;
  s.not_signalled = 1;
  s.map_full = 4;
  s.uid_quota = 3;
  s.events = 500;
  s.verdict_events_lost = 0;
  s.object_events_lost = 11;
  s.missed_allocations = 6;
  s.missed_frees = 8;
  s.heap_incomplete = true;
  s.census_untracked = 0;
  return s;
}

int64_t Value(const std::map<std::string, ParsedMetric>& metrics, const std::string& name,
              const std::map<std::string, std::string>& split = {}) {
  auto it = metrics.find(name);
  if (it == metrics.end()) {
    ADD_FAILURE() << "no metric " << name;
    return -1;
  }
  for (const ParsedSample& s : it->second.samples) {
    auto labels = s.labels;
    labels.erase("compartment");
    if (labels == split) return s.value;
  }
  ADD_FAILURE() << "no sample of " << name << " with the labels asked for";
  return -1;
}

TEST(PrometheusTextTest, EveryCounterWithItsValue) {
  auto metrics = Parse(Enforcer::PrometheusText(SomeStats(), "pipe"));
  EXPECT_EQ(Value(metrics, "o2c_objects_tracked_total"), 100);
  EXPECT_EQ(Value(metrics, "o2c_objects_live"), 35);
  EXPECT_EQ(Value(metrics, "o2c_objects_freed_by_compartment_total"), 60);
  EXPECT_EQ(Value(metrics, "o2c_objects_freed_by_kernel_total"), 5);
  EXPECT_EQ(Value(metrics, "o2c_untracked_frees_total"), 9);
  EXPECT_EQ(Value(metrics, "o2c_auditions_total", {{"verdict", "own"}}), 7);
  EXPECT_EQ(Value(metrics, "o2c_auditions_total", {{"verdict", "kernel"}}), 2);
  EXPECT_EQ(Value(metrics, "o2c_violations_total"), 2);
  EXPECT_EQ(Value(metrics, "o2c_kills_total"), 1);
  EXPECT_EQ(Value(metrics, "o2c_kills_not_signalled_total"), 1);
  EXPECT_EQ(Value(metrics, "o2c_allocations_untracked_total"), 4);
  EXPECT_EQ(Value(metrics, "o2c_allocations_untracked_uid_quota_total"), 3);
  EXPECT_EQ(Value(metrics, "o2c_events_total"), 500);
  EXPECT_EQ(Value(metrics, "o2c_events_lost_total", {{"channel", "verdicts"}}), 0);
  EXPECT_EQ(Value(metrics, "o2c_events_lost_total", {{"channel", "objects"}}), 11);
  EXPECT_EQ(Value(metrics, "o2c_missed_runs_total", {{"hook", "allocation"}}), 6);
  EXPECT_EQ(Value(metrics, "o2c_missed_runs_total", {{"hook", "free"}}), 8);
  EXPECT_EQ(Value(metrics, "o2c_heap_incomplete"), 1);
  EXPECT_EQ(Value(metrics, "o2c_final_phase_confirmed"), 0);
  EXPECT_EQ(Value(metrics, "o2c_census_untracked_objects"), 0);
}

TEST(PrometheusTextTest, CountersEndInTotalAndEveryMetricHasHelp) {
  for (const auto& [name, metric] : Parse(Enforcer::PrometheusText(SomeStats(), "pipe"))) {
    EXPECT_FALSE(metric.help.empty()) << name;
    EXPECT_EQ(metric.type == "counter", absl::EndsWith(name, "_total")) << name;
    EXPECT_FALSE(metric.samples.empty()) << name;
  }
}

TEST(PrometheusTextTest, LabelsAreBoundedSetsAndAlwaysNameTheCompartment) {
  for (const auto& [name, metric] : Parse(Enforcer::PrometheusText(SomeStats(), "pipe"))) {
    for (const ParsedSample& s : metric.samples) {
      EXPECT_EQ(s.labels.at("compartment"), "pipe") << name;
      std::set<std::string> label_names;
      for (const auto& [label, value] : s.labels) label_names.insert(label);
      EXPECT_THAT(label_names,
                  IsSubsetOf({"compartment", "hook", "verdict", "channel"})) << name;
    }
  }
}

TEST(PrometheusTextTest, NoCensusNoCensusGauge) {
  EnforcerStats s;  // census_untracked = -1: no census ran
  EXPECT_EQ(Parse(Enforcer::PrometheusText(s, "pipe")).count("o2c_census_untracked_objects"),
            0u);
}

TEST(PrometheusTextTest, CompartmentNamesAreEscaped) {
  auto metrics = Parse(Enforcer::PrometheusText(EnforcerStats(), "a \"b\"\\c\nd"));
  EXPECT_THAT(metrics.at("o2c_violations_total").samples.at(0).labels,
              ElementsAre(Pair("compartment", "a \"b\"\\c\nd")));
}

}  // namespace
}  // namespace o2c
