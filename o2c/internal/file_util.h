// Whole-file reads and writes, with errors that name the file: the one file
// reader and writer of O2C.
#ifndef O2C_INTERNAL_FILE_UTIL_H_
#define O2C_INTERNAL_FILE_UTIL_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace o2c::internal {

// The bytes of `path`, or NotFound / an errno status naming the file.
// Thread-compatible: no shared state.
absl::StatusOr<std::string> ReadFileBytes(const std::string& path);
// Replaces `path` with `bytes`: writes a new, uniquely named temporary file in
// the same directory (created exclusively, never through a symlink), syncs it
// and renames it over `path`, so a crash never leaves half a file behind and
// a symlink planted at `path` is replaced, not followed. On error the
// temporary is removed and the status names `path` and the failing step.
// Safe to call concurrently, also for the same `path` (the last rename wins).
absl::Status WriteFileBytes(const std::string& path, const std::string& bytes);
// Writes all of `bytes` to `fd`, retrying short writes and EINTR; false on
// error with errno set. Does not take ownership of `fd`.
bool WriteAll(int fd, absl::string_view bytes);

}  // namespace o2c::internal

#endif  // O2C_INTERNAL_FILE_UTIL_H_
