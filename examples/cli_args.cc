#include "examples/cli_args.h"

#include <cstdio>
#include <cstring>

#include "absl/algorithm/container.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "o2c/internal/edit_distance.h"

namespace o2c::cli {

namespace {

// `text` in lines of at most `width` columns (longer words stay whole), each
// after `indent` spaces but the first, which starts where the caller is.
std::string Wrap(absl::string_view text, size_t width, size_t indent) {
  std::string out;
  size_t column = indent;
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (column > indent && column + 1 + word.size() > width) {
      absl::StrAppend(&out, "\n", std::string(indent, ' '));
      column = indent;
    } else if (column > indent) {
      out += ' ';
      ++column;
    }
    absl::StrAppend(&out, word);
    column += word.size();
  }
  return out;
}

constexpr size_t kWidth = 80;
constexpr size_t kFlagColumn = 32;  // where a flag's text starts

}  // namespace

std::string FormatHelp(const CommandHelp& help) {
  std::string usage = absl::StrCat("o2c ", help.name);
  for (const FlagHelp& f : help.flags) {
    std::string flag = absl::StrCat("--", f.name, f.value.empty() ? "" : " ", f.value);
    absl::StrAppend(&usage, f.required ? " " : " [", flag, f.required ? "" : "]");
  }
  if (!help.operands.empty()) absl::StrAppend(&usage, " ", help.operands);
  std::string out = absl::StrCat("usage: ", Wrap(usage, kWidth, 11), "\n\n",
                                 Wrap(help.description, kWidth, 0), "\n");
  if (!help.flags.empty()) absl::StrAppend(&out, "\nflags:\n");
  for (const FlagHelp& f : help.flags) {
    std::string flag = absl::StrCat("  --", f.name, f.value.empty() ? "" : " ", f.value);
    flag += flag.size() < kFlagColumn ? std::string(kFlagColumn - flag.size(), ' ')
                                      : absl::StrCat("\n", std::string(kFlagColumn, ' '));
    absl::StrAppend(&out, flag, Wrap(absl::StrCat(f.required ? "(required) " : "", f.text),
                                     kWidth, kFlagColumn), "\n");
  }
  absl::StrAppend(&out, "\nexample:\n  ", help.example, "\n");
  return out;
}

bool WantsHelp(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) return true;
  }
  return false;
}

Args::Args(int argc, char** argv, const CommandHelp& help) : help_(help) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (!absl::StartsWith(arg, "--")) {
      positional_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    size_t eq = name.find('=');
    if (eq != std::string::npos) {
      values_[name.substr(0, eq)] = name.substr(eq + 1);
    } else if (i + 1 < argc && !absl::StartsWith(argv[i + 1], "--")) {
      values_[name] = argv[++i];
    } else {
      switches_.insert(name);
    }
  }
}

void Args::MarkRead(const std::string& name) {
  read_.insert(name);
  if (absl::c_none_of(help_.flags, [&](const FlagHelp& f) { return f.name == name; })) {
    undescribed_.insert(name);
  }
}

std::optional<std::string> Args::Get(const std::string& name) {
  MarkRead(name);
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<std::string> Args::Require(const std::string& name) {
  std::optional<std::string> value = Get(name);
  if (!value) {
    // A misspelt flag is the likeliest reason: name it.
    std::vector<std::string> given;
    for (const auto& [flag, unused] : values_) given.push_back(flag);
    for (const std::string& flag : switches_) given.push_back(flag);
    for (const std::string& flag : given) {
      if (EditDistance(name, flag, 2) <= 2) {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " is required (--", flag,
                                                       " was given: a misspelling?)"));
      }
    }
    return absl::InvalidArgumentError(absl::StrCat("--", name, " is required"));
  }
  return *value;
}

absl::StatusOr<long long> Args::GetInt(const std::string& name, long long fallback) {
  std::optional<std::string> value = Get(name);
  if (!value) return fallback;
  long long n;
  if (!absl::SimpleAtoi(*value, &n)) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, " '",
                                                   *value, "' is not an integer"));
  }
  return n;
}

absl::StatusOr<double> Args::GetDouble(const std::string& name, double fallback) {
  std::optional<std::string> value = Get(name);
  if (!value) return fallback;
  double d;
  if (!absl::SimpleAtod(*value, &d)) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, " '",
                                                   *value, "' is not a number"));
  }
  return d;
}

bool Args::Has(const std::string& name) {
  MarkRead(name);
  auto it = values_.find(name);
  if (it != values_.end()) {
    // "--json extra": the parser took "extra" as the value of a switch.
    positional_.insert(positional_.begin(), it->second);
    values_.erase(it);
    switches_.insert(name);
  }
  return switches_.count(name) > 0;
}

absl::Status Args::Finish() const {
  if (!undescribed_.empty()) {
    return absl::InternalError(absl::StrCat("o2c ", help_.name, " reads --",
                                            absl::StrJoin(undescribed_, ", --"),
                                            " but its --help does not describe it"));
  }
  std::vector<std::string> described;
  for (const FlagHelp& f : help_.flags) described.push_back(f.name);
  std::vector<std::string> unknown;
  auto check = [&](const std::string& name) {
    if (read_.count(name)) return;
    std::string nearest = NearestName(name, described);
    unknown.push_back(absl::StrCat("--", name,
                                   nearest.empty() ? "" : absl::StrCat(" (did you mean --",
                                                                       nearest, "?)")));
  };
  for (const auto& [name, value] : values_) check(name);
  for (const std::string& name : switches_) check(name);
  if (unknown.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("unknown flag(s) ", absl::StrJoin(unknown, ", "),
                                                 "; see o2c ", help_.name, " --help"));
}

int ReportFailure(absl::string_view command, const absl::Status& status) {
  std::fprintf(stderr, "o2c %s: %s\n", std::string(command).c_str(),
               std::string(status.message()).c_str());
  return 1;
}

}  // namespace o2c::cli
