#include "o2c/testonly/pipe_functions.h"

#include "o2c/internal/status_macros.h"

namespace o2c::bpf {

absl::StatusOr<std::vector<AddressRange>> PipeFunctionRanges(
    const Kallsyms& kallsyms, std::vector<std::string>* names) {
  // Both required ones first: they are where a pipe is born and dies.
  static const char* const kRequired[] = {"alloc_pipe_info", "free_pipe_info"};
  static const char* const kOptional[] = {
      "pipe_release",   "put_pipe_info",    "create_pipe_files", "do_pipe2",
      "__do_pipe_flags", "pipe_resize_ring", "pipe_set_size",    "pipe_fcntl",
      "anon_pipe_write", "fifo_pipe_write",  "pipe_write",       "anon_pipe_read",
      "fifo_pipe_read",  "pipe_read",        "fifo_open",        "free_pipe_info_rcu"};
  std::vector<AddressRange> ranges;
  for (const char* name : kRequired) {
    O2C_ASSIGN_OR_RETURN(AddressRange range, kallsyms.FunctionRange(name));
    ranges.push_back(range);
    if (names) names->push_back(name);
  }
  for (const char* name : kOptional) {
    absl::StatusOr<AddressRange> range = kallsyms.FunctionRange(name);
    if (!range.ok()) continue;
    ranges.push_back(*range);
    if (names) names->push_back(name);
  }
  return ranges;
}

}  // namespace o2c::bpf
