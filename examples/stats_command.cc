// o2c stats: the counters of a running `o2c attach`, in Prometheus' text
// format. The attach keeps them in its --stats-file (rewritten whole every
// --stats-interval, the layout node_exporter's textfile collector reads);
// this command prints that file after checking it is O2C's and still fresh,
// so a dead attach's counters are not mistaken for live ones.
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <ctime>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "examples/cli_args.h"
#include "examples/commands.h"
#include "o2c/internal/file_util.h"
#include "o2c/internal/status_macros.h"

namespace o2c::cli {

const CommandHelp kStatsHelp = {
    .name = "stats",
    .summary = "a running attach's counters, in Prometheus' text format",
    .description = "Prints the counters of a running `o2c attach --stats-file FILE` in Prometheus' "
               "text format; fails if FILE is not O2C's or was not rewritten within --max-age.",
    .operands = "FILE",
    .flags = {{"max-age", "S",
               "refuse a file last written more than S seconds ago: its attach has stopped "
               "(default 60; 0: any age)"}},
    .example = "o2c stats --max-age 30 /var/lib/node_exporter/textfile/o2c.prom",
};

namespace {

absl::Status PrintStats(const std::string& path, long long max_age) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat(path, ": is `o2c attach --stats-file ", path,
                                                   "` running?"));
  }
  const long long age = static_cast<long long>(std::time(nullptr) - st.st_mtime);
  if (max_age > 0 && age > max_age) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, ": last written ", age, " s ago (--max-age ", max_age,
        "): the o2c attach that writes it has stopped or hangs"));
  }
  O2C_ASSIGN_OR_RETURN(std::string text, internal::ReadFileBytes(path));
  if (!absl::StartsWith(text, "# HELP o2c_")) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a stats file of o2c attach (it starts with # HELP o2c_)"));
  }
  std::fputs(text.c_str(), stdout);
  return absl::OkStatus();
}

}  // namespace

int StatsCommand(int argc, char** argv) {
  Args args(argc, argv, kStatsHelp);
  absl::StatusOr<long long> max_age = args.GetInt("max-age", 60);
  for (const absl::Status& s : {max_age.status(), args.Finish()}) {
    if (!s.ok()) return ReportFailure("stats", s);
  }
  if (args.positional().size() != 1) {
    return ReportFailure("stats", absl::InvalidArgumentError(
                                      "give one FILE, the --stats-file of o2c attach"));
  }
  if (absl::Status s = PrintStats(args.positional()[0], *max_age); !s.ok()) {
    return ReportFailure("stats", s);
  }
  return 0;
}

}  // namespace o2c::cli
