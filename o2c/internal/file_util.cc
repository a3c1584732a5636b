#include "o2c/internal/file_util.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace o2c::internal {
namespace {

// Attempts at a fresh temporary name before giving up; a collision needs
// another writer drawing the same 64 random bits.
constexpr int kTemporaryAttempts = 16;

// Creates a new file next to `target` (same directory, so the rename is
// atomic) under a random name. O_EXCL | O_NOFOLLOW: never opens something
// planted there, symlink or not. Sets `*name` to its path.
absl::StatusOr<int> CreateTemporaryNextTo(const std::filesystem::path& target,
                                          std::string* name) {
  std::filesystem::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  std::random_device seed;
  std::mt19937_64 rng((static_cast<uint64_t>(seed()) << 32) ^ seed());
  for (int attempt = 0; attempt < kTemporaryAttempts; ++attempt) {
    *name = (dir / absl::StrFormat(".%s.%016x.tmp", target.filename().string(), rng())).string();
    const int fd =
        open(name->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd >= 0) return fd;
    if (errno != EEXIST) {
      return absl::ErrnoToStatus(errno, absl::StrCat(target.string(), ": cannot create ", *name));
    }
  }
  return absl::AlreadyExistsError(absl::StrCat(target.string(), ": no free temporary name in ",
                                               dir.string(), " after ", kTemporaryAttempts,
                                               " attempts"));
}

}  // namespace

bool WriteAll(int fd, absl::string_view bytes) {
  for (size_t done = 0; done < bytes.size();) {
    const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

absl::StatusOr<std::string> ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::ErrnoToStatus(errno, absl::StrCat(path, ": cannot open"));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return absl::ErrnoToStatus(errno, absl::StrCat(path, ": read failed"));
  return buffer.str();
}

absl::Status WriteFileBytes(const std::string& path, const std::string& bytes) {
  const std::filesystem::path target(path);
  std::string tmp;
  absl::StatusOr<int> fd = CreateTemporaryNextTo(target, &tmp);
  if (!fd.ok()) return fd.status();
  absl::Cleanup remove_tmp = [&tmp] { unlink(tmp.c_str()); };
  {
    absl::Cleanup close_fd = [&fd] { close(*fd); };
    // fsync before the rename: after a crash the target is either the old
    // file or the whole new one.
    if (!WriteAll(*fd, bytes) || fsync(*fd) != 0) {
      return absl::ErrnoToStatus(errno, absl::StrCat(path, ": write to ", tmp, " failed"));
    }
  }
  // rename() replaces the target's directory entry: a symlink planted at
  // `path` is replaced, never written through.
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat(path, ": rename from ", tmp, " failed"));
  }
  std::move(remove_tmp).Cancel();
  return absl::OkStatus();
}

}  // namespace o2c::internal
