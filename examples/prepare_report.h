// What `o2c prepare` shows of a preparation, beside the data files Prepare
// writes: the metrics as text, the tree as Graphviz (and a PNG when Graphviz
// can render it), and report.md, a readable account of the whole phase.
#ifndef O2C_EXAMPLES_PREPARE_REPORT_H_
#define O2C_EXAMPLES_PREPARE_REPORT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "o2c/policy.h"
#include "o2c/prepare.h"
#include "o2c/victims/victim_miss_rate.h"

namespace o2c::cli {

// metrics.txt: the held-out confusion matrix and, when run, the summed
// cross-validation one, positive class "kernel".
std::string PrepareMetricsText(const PrepareResult& result, const PrepareOptions& options);

// report.md. `png_note` says where the tree's picture is, or why there is none.
// `result.model` must be set (Prepare's results always have it).
std::string PrepareReportMarkdown(const Policy& policy, const PrepareOptions& options,
                                  const PrepareResult& result, const std::string& png_note);

// Writes metrics.txt, tree.dot, tree.png (unless Graphviz fails: the report
// says why) and report.md into options.out_dir, which must exist; returns the
// full paths written. Errors name the file that could not be written.
absl::StatusOr<std::vector<std::string>> WritePrepareReport(const Policy& policy,
                                                            const PrepareOptions& options,
                                                            const PrepareResult& result);

// Appends the victims section (victims::MissRatesMarkdown) to report.md in
// options.out_dir, which WritePrepareReport wrote; returns its path. Errors
// name the file.
absl::StatusOr<std::string> AppendVictimsToReport(const PrepareOptions& options,
                                                  const victims::MissRates& rates);

}  // namespace o2c::cli

#endif  // O2C_EXAMPLES_PREPARE_REPORT_H_
