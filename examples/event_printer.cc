#include "examples/event_printer.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

namespace o2c::cli {
namespace {

std::string Hex(uint64_t address) { return absl::StrCat("0x", absl::Hex(address)); }

// "kill" for ACTION_KILL.
std::string ActionName(int action) {
  return absl::AsciiStrToLower(
      absl::StripPrefix(Event::Action_Name(static_cast<Event::Action>(action)), "ACTION_"));
}

}  // namespace

std::string FormatEvent(const Event& e, int max_stack_frames) {
  std::string who = absl::StrCat(e.comm(), "[", e.tgid(), "]");
  switch (e.kind()) {
    case Event::TRACKED:
      return absl::StrCat("tracked    ", Hex(e.object()), " (", e.size(), " B) at ", e.site(), " by ",
                          who);
    case Event::FREED:
      return absl::StrCat("freed      ", Hex(e.object()), e.by_kernel() ? " by kernel code at "
                                                                    : " at ", e.site());
    case Event::AUDITION:
      return absl::StrCat("audition   ", Hex(e.object()), " freed at ", e.site(), " by ", who,
                          ": model says '", e.verdict(), "' (leaf ", e.leaf_id(), ")");
    case Event::VIOLATION: {
      std::string line = absl::StrCat(
          "VIOLATION  ", Event::Violation_Name(e.violation()), ": ", who, " frees ", Hex(e.object()),
          " at ", e.site(), e.verdict().empty() ? "" : absl::StrCat(" (model: ", e.verdict(), ")"),
          "; actions taken: ", absl::StrJoin(e.actions(), ", ",
                                                 [](std::string* out, int a) {
                                                   out->append(ActionName(a));
                                                 }));
      for (int i = 0; i < e.stack_size() && i < max_stack_frames; ++i) {
        absl::StrAppend(&line, "\n             ", e.stack(i));
      }
      return line;
    }
    case Event::MAP_FULL:
      return absl::StrCat("MAP FULL   ", Hex(e.object()), " at ", e.site(), " left untracked");
    case Event::PHASE:
      return absl::StrCat("phase      ", Event::Phase_Name(e.phase()), " (", e.reason(), ")");
    case Event::EVENTS_LOST:
      return absl::StrCat("EVENTS LOST ", e.lost(), " ring-buffer records (ring buffer full)");
    case Event::MISSED_RUNS:
      return absl::StrCat("MISSED     ", e.lost(),
                          " kmem events not seen (nested in a run of the same program on "
                          "that CPU); allocations missed so far: ",
                          e.missed_allocations());
    default:
      return "event ?";
  }
}

std::string FormatStats(const EnforcerStats& s) {
  return absl::StrCat(
      "tracked ", s.tracked, ", live ", s.live_tracked(), ", auditions ", s.audition_own,
      " own / ", s.audition_kernel, " kernel (", s.late_auditions, " late), violations ",
      s.violations, " (", s.downgraded, " downgraded), kills ", s.kills, " (", s.not_signalled,
      " not signalled), map full ", s.map_full, " (", s.uid_quota, " uid quota), events lost ",
      s.verdict_events_lost, " verdicts + ", s.object_events_lost, " objects, missed runs ",
      s.missed_allocations, " allocations + ", s.missed_frees, " frees, heap ",
      s.heap_incomplete ? "INCOMPLETE" : "complete", ", final phase ",
      s.final_confirmed ? "confirmed" : "unconfirmed", ", census ",
      s.census_untracked < 0 ? std::string("none") : absl::StrCat(s.census_untracked, " old"),
      ", quarantine denials ", s.quarantine_denials);
}

}  // namespace o2c::cli
