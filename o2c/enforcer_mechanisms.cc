// The text rendering of EnforcementMechanisms (what `o2c attach` prints).
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "o2c/enforcer.h"

namespace o2c {

const char* HookMechanismKindName(HookMechanism::Kind kind) {
  switch (kind) {
    case HookMechanism::Kind::kNone: return "none";
    case HookMechanism::Kind::kTpBtf: return "tp_btf";
    case HookMechanism::Kind::kRawTp: return "raw_tp";
    case HookMechanism::Kind::kTailCall: return "tail call";
    case HookMechanism::Kind::kSendSignal: return "bpf_send_signal";
    case HookMechanism::Kind::kLsm: return "lsm";
    case HookMechanism::Kind::kIterator: return "iterator";
    case HookMechanism::Kind::kKprobe: return "kprobe";
  }
  return "?";
}

std::string FormatMechanisms(const EnforcementMechanisms& mechanisms) {
  std::string out;
  for (const HookMechanism& m : mechanisms.hooks) {
    if (m.kind == HookMechanism::Kind::kNone) {
      // Nothing runs for it: only the notes say something.
      absl::StrAppend(&out, m.duty, ": ", m.notes, "\n");
      continue;
    }
    absl::StrAppend(&out, m.duty, ": ", HookMechanismKindName(m.kind), " on ", m.hooks, " (",
                    m.exact ? "exact" : "approximate", ", ",
                    m.can_deny ? "denies" : "detects only", "): ", m.notes, "\n");
  }
  if (!mechanisms.not_enforced.empty()) {
    absl::StrAppend(&out, "not enforced: ", absl::StrJoin(mechanisms.not_enforced, "; "),
                    " (only FREE rights, through the private heap, are enforced)\n");
  }
  return out;
}

}  // namespace o2c
