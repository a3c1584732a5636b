// Enforcer::PrometheusText: EnforcerStats in Prometheus' text exposition
// format (version 0.0.4).
//
// Labels are bounded sets only: the compartment's name and, where a counter
// is split, the hook, the model's verdict or the ring-buffer channel. A pid,
// an address or a symbol would make a new time series per value, and the
// events carry those anyway.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "o2c/enforcer.h"

namespace o2c {
namespace {

struct Sample {
  std::vector<std::pair<std::string, std::string>> labels;  // besides compartment
  int64_t value;
};

struct Metric {
  const char* name;
  const char* type;  // "counter" or "gauge"
  const char* help;
  std::vector<Sample> samples;
};

Sample Unsplit(uint64_t value) { return {{}, static_cast<int64_t>(value)}; }
Sample Split(const char* label, const char* value, uint64_t count) {
  return {{{label, value}}, static_cast<int64_t>(count)};
}

// A label value with the format's three escapes: backslash, quote, newline.
std::string EscapeLabelValue(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<Metric> Metrics(const EnforcerStats& s) {
  std::vector<Metric> metrics = {
      {"o2c_objects_tracked_total", "counter",
       "Compartment allocations tracked in the private heap.", {Unsplit(s.tracked)}},
      {"o2c_objects_live", "gauge", "Tracked objects not freed yet.",
       {Unsplit(s.live_tracked())}},
      {"o2c_objects_freed_by_compartment_total", "counter",
       "Tracked objects freed by the compartment.", {Unsplit(s.freed_own)}},
      {"o2c_objects_freed_by_kernel_total", "counter",
       "Tracked objects freed by code outside the compartment.", {Unsplit(s.freed_by_kernel)}},
      {"o2c_untracked_frees_total", "counter",
       "Frees at the compartment's free sites of objects it never tracked.",
       {Unsplit(s.untracked_frees)}},
      {"o2c_auditions_total", "counter",
       "Untracked frees auditioned by the model, by its verdict.",
       {Split("verdict", "own", s.audition_own), Split("verdict", "kernel", s.audition_kernel)}},
      {"o2c_late_auditions_total", "counter",
       "Final-phase untracked frees auditioned because no census confirmed the phase.",
       {Unsplit(s.late_auditions)}},
      {"o2c_violations_total", "counter", "Violations of the policy.", {Unsplit(s.violations)}},
      {"o2c_kills_total", "counter", "Tasks sent SIGKILL for a violation.", {Unsplit(s.kills)}},
      {"o2c_kills_not_signalled_total", "counter",
       "KILL asked for but no task signalled: the free ran in an interrupt or a kernel thread.",
       {Unsplit(s.not_signalled)}},
      {"o2c_verdicts_downgraded_total", "counter",
       "Verdicts downgraded to AUDIT because the heap was incomplete.",
       {Unsplit(s.downgraded)}},
      {"o2c_allocations_untracked_total", "counter",
       "Compartment allocations left untracked: the heap map full or a uid's quota reached.",
       {Unsplit(s.map_full)}},
      {"o2c_allocations_untracked_uid_quota_total", "counter",
       "Of the untracked allocations, those whose uid had its quota of live objects.",
       {Unsplit(s.uid_quota)}},
      {"o2c_events_total", "counter", "Ring-buffer records written, both channels.",
       {Unsplit(s.events)}},
      {"o2c_events_lost_total", "counter", "Ring-buffer records lost to a full ring, by channel.",
       {Split("channel", "verdicts", s.verdict_events_lost),
        Split("channel", "objects", s.object_events_lost)}},
      {"o2c_missed_runs_total", "counter",
       "kmem events the kernel ran no program for (a run already active on that CPU), by hook.",
       {Split("hook", "allocation", s.missed_allocations),
        Split("hook", "free", s.missed_frees)}},
      {"o2c_ignored_pointers_total", "counter",
       "Frees of ZERO_SIZE_PTR-like values, ignored.", {Unsplit(s.ignored_pointers)}},
      {"o2c_quarantine_denials_total", "counter",
       "Accesses to the compartment refused while quarantined.",
       {Unsplit(s.quarantine_denials)}},
      {"o2c_heap_incomplete", "gauge",
       "1 once some compartment object may be untracked (heap-dependent verdicts downgraded).",
       {Unsplit(s.heap_incomplete ? 1 : 0)}},
      {"o2c_final_phase_confirmed", "gauge",
       "1 when the final phase rests on evidence (a census or the operator's word).",
       {Unsplit(s.final_confirmed ? 1 : 0)}},
  };
  if (s.census_untracked >= 0) {
    metrics.push_back({"o2c_census_untracked_objects", "gauge",
                       "File references to compartment objects from before the attach still "
                       "alive at the last census.",
                       {{{}, s.census_untracked}}});
  }
  return metrics;
}

}  // namespace

std::string Enforcer::PrometheusText(const EnforcerStats& stats, const std::string& compartment) {
  const std::string compartment_label =
      absl::StrCat("compartment=\"", EscapeLabelValue(compartment), "\"");
  std::string out;
  for (const Metric& m : Metrics(stats)) {
    absl::StrAppend(&out, "# HELP ", m.name, " ", m.help, "\n# TYPE ", m.name, " ", m.type, "\n");
    for (const Sample& sample : m.samples) {
      std::vector<std::string> labels = {compartment_label};
      for (const auto& [label, value] : sample.labels) {
        labels.push_back(absl::StrCat(label, "=\"", value, "\""));
      }
      absl::StrAppend(&out, m.name, "{", absl::StrJoin(labels, ","), "} ", sample.value, "\n");
    }
  }
  return out;
}

}  // namespace o2c
