// Whole-file reads and writes, with errors that name the file: the one file
// reader and writer of O2C.
#ifndef O2C_INTERNAL_FILE_UTIL_H_
#define O2C_INTERNAL_FILE_UTIL_H_

#include <string>

#include "absl/status/statusor.h"

namespace o2c::internal {

// The bytes of `path`, or NotFound / an errno status naming the file.
absl::StatusOr<std::string> ReadFileBytes(const std::string& path);
// Replaces `path` with `bytes` (through a temporary file and a rename, so a
// crash never leaves half a model behind).
absl::Status WriteFileBytes(const std::string& path, const std::string& bytes);

}  // namespace o2c::internal

#endif  // O2C_INTERNAL_FILE_UTIL_H_
