#include "o2c/policy/validate.h"

#include <sys/stat.h>

#include <cmath>
#include <map>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "o2c/policy/function_entry.h"
#include "o2c/internal/status_macros.h"

namespace o2c::policy {
namespace {

absl::Status Invalid(const SourceLocator& where, const FieldPath& path,
                     absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(where.Where(path), ": ", what));
}

absl::Status CheckEntry(const std::string& text, const SourceLocator& where,
                        const FieldPath& path) {
  absl::StatusOr<FunctionEntry> entry = ParseFunctionEntry(text);
  if (!entry.ok()) return Invalid(where, path, entry.status().message());
  return absl::OkStatus();
}

absl::Status CheckCompartment(const CompartmentSpec& c, const SourceLocator& where) {
  if (!c.has_module() && c.function_size() == 0 && c.pattern_size() == 0 &&
      c.range_size() == 0) {
    return Invalid(where, {{"compartment"}},
                   "empty compartment: give a module, a function, a pattern or a range");
  }
  if (c.has_module()) {
    absl::StatusOr<FunctionEntry> name = ParseFunctionEntry(c.module());
    if (!name.ok() || name->alternatives.size() != 1 || name->optional) {
      return Invalid(where, {{"compartment"}, {"module"}},
                     absl::StrCat("'", c.module(), "' is not a module name"));
    }
  }
  for (int i = 0; i < c.function_size(); ++i) {
    O2C_RETURN_IF_ERROR(CheckEntry(c.function(i), where, {{"compartment"}, {"function", i}}));
  }
  for (int i = 0; i < c.pattern_size(); ++i) {
    const std::string& p = c.pattern(i);
    bool ok = !p.empty();
    for (char ch : p) ok &= absl::ascii_isalnum(ch) || ch == '_' || ch == '.' || ch == '*' || ch == '?';
    if (!ok) {
      return Invalid(where, {{"compartment"}, {"pattern", i}},
                     absl::StrCat("'", p, "' is not a symbol pattern (letters, digits, _ . * ?)"));
    }
  }
  for (int i = 0; i < c.range_size(); ++i) {
    const AddressRangeSpec& r = c.range(i);
    if (!r.has_start() || !r.has_end() || r.end() <= r.start()) {
      return Invalid(where, {{"compartment"}, {"range", i}},
                     absl::StrCat("empty address range [0x", absl::Hex(r.start()), ", 0x",
                                  absl::Hex(r.end()), "): want start < end"));
    }
  }
  for (int i = 0; i < c.data_symbol_size(); ++i) {
    O2C_RETURN_IF_ERROR(
        CheckEntry(c.data_symbol(i), where, {{"compartment"}, {"data_symbol", i}}));
  }
  return absl::OkStatus();
}

absl::Status CheckSites(const SitesSpec& s, const SourceLocator& where) {
  for (int i = 0; i < s.allocator_size(); ++i) {
    O2C_RETURN_IF_ERROR(CheckEntry(s.allocator(i), where, {{"sites"}, {"allocator", i}}));
  }
  for (int i = 0; i < s.free_size(); ++i) {
    O2C_RETURN_IF_ERROR(CheckEntry(s.free(i), where, {{"sites"}, {"free", i}}));
  }
  return absl::OkStatus();
}

absl::Status CheckAccess(const AccessMatrixSpec& access, const SourceLocator& where) {
  // (subject, object, right) -> (allowed?, where it was said)
  std::map<std::tuple<int, int, int>, std::pair<bool, FieldPath>> said;
  for (int i = 0; i < access.rule_size(); ++i) {
    const AccessRule& rule = access.rule(i);
    FieldPath at = {{"access"}, {"rule", i}};
    if (rule.subject() == SUBJECT_UNSPECIFIED) {
      return Invalid(where, at, "rule without a subject (COMPARTMENT or KERNEL)");
    }
    if (rule.object() == OBJECT_UNSPECIFIED) {
      return Invalid(where, at, "rule without an object (e.g. KERNEL_HEAP)");
    }
    for (bool allow : {true, false}) {
      const auto& rights = allow ? rule.allow() : rule.deny();
      const char* field = allow ? "allow" : "deny";
      for (int j = 0; j < rights.size(); ++j) {
        FieldPath here = {{"access"}, {"rule", i}, {field, j}};
        if (rights[j] == RIGHT_UNSPECIFIED) {
          return Invalid(where, here, "RIGHT_UNSPECIFIED is not a right");
        }
        auto key = std::make_tuple(rule.subject(), rule.object(), rights[j]);
        auto [it, inserted] = said.emplace(key, std::make_pair(allow, here));
        if (!inserted && it->second.first != allow) {
          FieldPath allowed = allow ? here : it->second.second;
          FieldPath denied = allow ? it->second.second : here;
          return Invalid(
              where, here,
              absl::StrCat("right ", Right_Name(rights[j]), " of ",
                           Subject_Name(rule.subject()), " on ", Object_Name(rule.object()),
                           " is both allowed (", where.Where(allowed), ") and denied (",
                           where.Where(denied), ")"));
        }
      }
    }
  }
  return absl::OkStatus();
}

absl::Status CheckInterface(const InterfaceSpec& interface, const SourceLocator& where) {
  for (int i = 0; i < interface.function_size(); ++i) {
    const InterfaceFunction& f = interface.function(i);
    FieldPath at = {{"interface"}, {"function", i}, {"function"}};
    if (!f.has_function()) {
      return Invalid(where, {{"interface"}, {"function", i}}, "interface entry without a function");
    }
    O2C_RETURN_IF_ERROR(CheckEntry(f.function(), where, at));
    for (int j = 0; j < f.owned_arg_size(); ++j) {
      if (f.owned_arg(j) > 5) {
        return Invalid(where, {{"interface"}, {"function", i}, {"owned_arg", j}},
                       absl::StrCat("argument ", f.owned_arg(j),
                                    " is not passed in a register (0 to 5)"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status CheckViolation(const ViolationSpec& violation, const SourceLocator& where) {
  for (int i = 0; i < violation.action_size(); ++i) {
    if (violation.action(i) == ACTION_UNSPECIFIED) {
      return Invalid(where, {{"violation"}, {"action", i}},
                     "ACTION_UNSPECIFIED is not an action (AUDIT, KILL, QUARANTINE)");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckTransition(const TransitionSpec& t, const SourceLocator& where,
                             const std::string& base_dir) {
  if (!(t.threshold() >= 0.0 && t.threshold() <= 1.0)) {  // also refuses NaN
    return Invalid(where, {{"transition"}, {"threshold"}},
                   absl::StrCat("threshold ", t.threshold(), " is outside [0, 1]"));
  }
  if (t.final_phase() == FINAL_PHASE_UNSPECIFIED) {
    return Invalid(where, {{"transition"}, {"final_phase"}},
                   "FINAL_PHASE_UNSPECIFIED: say NO_UNTRACKED_LEFT, TIME_LIMIT or ON_REQUEST");
  }
  if (t.final_phase() == TIME_LIMIT && t.time_limit_seconds() == 0) {
    return Invalid(where, {{"transition"}, {"final_phase"}},
                   "TIME_LIMIT needs time_limit_seconds > 0");
  }
  if (t.has_model()) {
    std::string path = ResolveModelPath(t.model(), base_dir);
    struct stat st;
    if (t.model().empty() || stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      return absl::NotFoundError(absl::StrCat(where.Where({{"transition"}, {"model"}}),
                                              ": model file '", path, "' does not exist"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckLimits(const LimitsSpec& limits, const SourceLocator& where) {
  if (limits.max_tracked_objects() == 0) {
    return Invalid(where, {{"limits"}, {"max_tracked_objects"}},
                   "a limit of 0 tracked objects would track nothing");
  }
  if (limits.max_tracked_objects_per_uid() > limits.max_tracked_objects()) {
    return Invalid(where, {{"limits"}, {"max_tracked_objects_per_uid"}},
                   absl::StrCat("a per-user limit of ", limits.max_tracked_objects_per_uid(),
                                " exceeds max_tracked_objects (", limits.max_tracked_objects(),
                                ")"));
  }
  uint32_t ring = limits.ring_buffer_bytes();
  if (ring == 0) {
    return Invalid(where, {{"limits"}, {"ring_buffer_bytes"}},
                   "a limit of 0 ring buffer bytes would deliver no event");
  }
  if (ring < 4096 || (ring & (ring - 1)) != 0) {
    return Invalid(where, {{"limits"}, {"ring_buffer_bytes"}},
                   absl::StrCat("ring buffer of ", ring,
                                " bytes: the kernel wants a power of two of at least 4096"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string ResolveModelPath(const std::string& model, const std::string& base_dir) {
  if (model.empty() || model[0] == '/' || base_dir.empty()) return model;
  return absl::StrCat(base_dir, base_dir.back() == '/' ? "" : "/", model);
}

absl::Status ValidatePolicy(const PolicySpec& spec, const SourceLocator& where,
                            const std::string& base_dir) {
  O2C_RETURN_IF_ERROR(CheckCompartment(spec.compartment(), where));
  O2C_RETURN_IF_ERROR(CheckSites(spec.sites(), where));
  O2C_RETURN_IF_ERROR(CheckAccess(spec.access(), where));
  O2C_RETURN_IF_ERROR(CheckInterface(spec.interface(), where));
  O2C_RETURN_IF_ERROR(CheckViolation(spec.violation(), where));
  O2C_RETURN_IF_ERROR(CheckTransition(spec.transition(), where, base_dir));
  O2C_RETURN_IF_ERROR(CheckLimits(spec.limits(), where));
  return absl::OkStatus();
}

}  // namespace o2c::policy
