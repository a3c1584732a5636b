#include "examples/cli_args.h"

#include <cstdio>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "o2c/internal/edit_distance.h"

namespace o2c::cli {

Args::Args(int argc, char** argv) {
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

std::optional<std::string> Args::Get(const std::string& name) {
  read_.insert(name);
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
  read_.insert(name);
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
  std::vector<std::string> unknown;
  for (const auto& [name, value] : values_) {
    if (!read_.count(name)) unknown.push_back("--" + name);
  }
  for (const std::string& name : switches_) {
    if (!read_.count(name)) unknown.push_back("--" + name);
  }
  if (unknown.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown flag(s) ", absl::StrJoin(unknown, ", "),
      " (see o2c help)"));
}

int ReportFailure(absl::string_view command, const absl::Status& status) {
  std::fprintf(stderr, "o2c %s: %s\n", std::string(command).c_str(),
               std::string(status.message()).c_str());
  return 1;
}

}  // namespace o2c::cli
