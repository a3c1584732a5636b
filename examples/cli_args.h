// A small parser for `o2c <command> [--flag value | --flag=value | --switch]`.
// Every command describes its flags in a CommandHelp (what `--help` prints);
// Finish() refuses whatever was given but is not one of them, naming the
// nearest flag (a typo is an error, not a silently ignored option), and a
// flag read but not described is a bug of the command that Finish() reports.
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

// One flag of a command, as `--help` shows it.
struct FlagHelp {
  std::string name;   // without "--": "policy"
  std::string value;  // what it takes ("FILE", "N"); empty for a switch
  std::string text;   // what it does, and its default
  bool required = false;
};

// A command's `--help`: what it does, its flags and an example.
struct CommandHelp {
  std::string name;      // "attach"
  std::string summary;   // a short line, for the list of commands
  std::string description;  // what it does, in a few sentences
  std::string operands;  // positional arguments after the flags ("FILE"), if any
  std::vector<FlagHelp> flags;
  std::string example;   // a command line that works from the repository's root
};

// The text `o2c <command> --help` prints: usage, summary, flags, example.
std::string FormatHelp(const CommandHelp& help);
// Whether argv (a command's arguments) asks for help: "--help" or "-h".
bool WantsHelp(int argc, char** argv);

class Args {
 public:
  // `argv[0]` is the command name ("train"); the rest are its arguments.
  // `help` describes the flags the command accepts; it must outlive Args.
  Args(int argc, char** argv, const CommandHelp& help);

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

  // Internal if the command read a flag its help does not describe;
  // InvalidArgument naming each flag given that the help does not describe
  // (with the nearest one it does), or that was given but never read.
  absl::Status Finish() const;

 private:
  // Records that the command reads --name.
  void MarkRead(const std::string& name);

  const CommandHelp& help_;
  std::set<std::string> undescribed_;  // read, but not in help_
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
