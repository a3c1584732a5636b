// A small parser for `o2c <command> [--flag value | --flag=value | --switch]`.
// Every flag a command reads is declared by reading it; Finish() then refuses
// whatever was given but never read, naming it (a typo is an error, not a
// silently ignored option).
#ifndef O2C_EXAMPLES_CLI_ARGS_H_
#define O2C_EXAMPLES_CLI_ARGS_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace o2c::cli {

class Args {
 public:
  // `argv[0]` is the command name ("train"); the rest are its arguments.
  Args(int argc, char** argv);

  // The value of --name, if given.
  std::optional<std::string> Get(const std::string& name);
  // The value of --name, or an error naming the missing flag.
  absl::StatusOr<std::string> Require(const std::string& name);
  // The integer value of --name, `fallback` if absent, an error if not an integer.
  absl::StatusOr<long long> GetInt(const std::string& name, long long fallback);
  // The value of --name as a double.
  absl::StatusOr<double> GetDouble(const std::string& name, double fallback);
  // Whether the switch --name was given. A word after it ("--json extra")
  // was taken as its value when parsing; Has() gives it back to positional().
  bool Has(const std::string& name);
  // Arguments that are not flags (read after the switches).
  const std::vector<std::string>& positional() const { return positional_; }

  // InvalidArgument naming each flag that was given but never read.
  absl::Status Finish() const;

 private:
  std::map<std::string, std::string> values_;  // "--x=1", "--x 1"
  std::set<std::string> switches_;             // "--json"
  std::vector<std::string> positional_;
  std::set<std::string> read_;
  absl::Status parse_error_;
};

// Prints "o2c <command>: <status message>" to stderr; returns 1, the exit
// code of a failed command.
int ReportFailure(absl::string_view command, const absl::Status& status);

}  // namespace o2c::cli

#endif  // O2C_EXAMPLES_CLI_ARGS_H_
