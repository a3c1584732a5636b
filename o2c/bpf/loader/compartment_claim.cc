#include "o2c/bpf/loader/compartment_claim.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace o2c::bpf {
namespace {

// FNV-1a over the ranges: the same in every process (unlike absl::Hash).
uint64_t HashCode(const std::vector<AddressRange>& code) {
  uint64_t h = 14695981039346656037ull;
  for (const AddressRange& r : code) {
    for (uint64_t word : {r.start, r.end}) {
      for (int i = 0; i < 8; ++i) {
        h ^= (word >> (8 * i)) & 0xff;
        h *= 1099511628211ull;
      }
    }
  }
  return h;
}

// /run itself too: a minimal root file system (an initramfs) may lack it.
absl::Status MakeDirectories() {
  const std::pair<const char*, mode_t> dirs[] = {
      {"/run", 0755}, {"/run/o2c", 0700}, {CompartmentClaim::kDirectory, 0700}};
  for (const auto& [dir, mode] : dirs) {
    if (mkdir(dir, mode) != 0 && errno != EEXIST) {
      return absl::ErrnoToStatus(errno, absl::StrCat("compartment claim: mkdir ", dir));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ScopedFd> OpenLockFile(const std::string& path) {
  ScopedFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) return absl::ErrnoToStatus(errno, "compartment claim: open " + path);
  return fd;
}

// The processes holding a lock on `fd`'s file, by /proc/locks.
std::set<uint32_t> Holders(int fd) {
  std::set<uint32_t> pids;
  struct stat st;
  if (fstat(fd, &st) != 0) return pids;
  const std::string file = absl::StrFormat("%02x:%02x:%u", major(st.st_dev), minor(st.st_dev),
                                           static_cast<unsigned>(st.st_ino));
  std::ifstream in("/proc/locks");
  std::string line;
  while (std::getline(in, line)) {
    // "1: FLOCK  ADVISORY  WRITE 1234 fe:00:5678 0 EOF"; waiters have "->".
    std::istringstream fields(line);
    std::string index, type, mode, access, where;
    uint32_t pid = 0;
    if (!(fields >> index >> type) || type == "->" || type != "FLOCK") continue;
    if ((fields >> mode >> access >> pid >> where) && where == file) pids.insert(pid);
  }
  return pids;
}

std::string Describe(const std::set<uint32_t>& pids) {
  std::vector<std::string> named;
  for (uint32_t pid : pids) {
    std::ifstream in(absl::StrCat("/proc/", pid, "/comm"));
    std::string comm;
    std::getline(in, comm);
    named.push_back(comm.empty() ? absl::StrCat(pid) : absl::StrCat(pid, " (", comm, ")"));
  }
  if (named.empty()) return "another enforcer";
  return absl::StrCat(named.size() == 1 ? "process " : "processes ", absl::StrJoin(named, ", "));
}

// Locks `fd` without waiting; AlreadyExists naming the holders if taken.
absl::Status Lock(int fd, int operation, const std::string& name, const std::string& path) {
  if (flock(fd, operation | LOCK_NB) == 0) return absl::OkStatus();
  if (errno != EWOULDBLOCK) return absl::ErrnoToStatus(errno, "compartment claim: flock " + path);
  return absl::AlreadyExistsError(
      absl::StrCat("compartment '", name, "' is already enforced, for an overlapping scope, by ",
                   Describe(Holders(fd)), " (lock ", path, "); detach that enforcer first"));
}

}  // namespace

absl::StatusOr<CompartmentClaim> CompartmentClaim::Take(const std::string& name,
                                                        const std::vector<AddressRange>& code,
                                                        uint32_t scope_tgid) {
  if (absl::Status made = MakeDirectories(); !made.ok()) return made;
  const std::string stem = absl::StrFormat("%s/%016x", kDirectory, HashCode(code));
  CompartmentClaim claim;
  const std::string system = stem + ".all";
  absl::StatusOr<ScopedFd> fd = OpenLockFile(system);
  if (!fd.ok()) return fd.status();
  claim.system_ = std::move(*fd);
  absl::Status locked =
      Lock(claim.system_.get(), scope_tgid == 0 ? LOCK_EX : LOCK_SH, name, system);
  if (!locked.ok()) return locked;
  if (scope_tgid != 0) {
    const std::string process = absl::StrCat(stem, ".", scope_tgid);
    fd = OpenLockFile(process);
    if (!fd.ok()) return fd.status();
    claim.process_ = std::move(*fd);
    locked = Lock(claim.process_.get(), LOCK_EX, name, process);
    if (!locked.ok()) return locked;
  }
  return claim;
}

CompartmentClaim& CompartmentClaim::operator=(CompartmentClaim&& other) noexcept {
  if (this != &other) {
    Release();
    system_ = std::move(other.system_);
    process_ = std::move(other.process_);
  }
  return *this;
}

CompartmentClaim::~CompartmentClaim() { Release(); }

void CompartmentClaim::Release() {
  // Unlocked explicitly: a child forked meanwhile shares the open files,
  // and closing ours alone would leave it the locks.
  for (ScopedFd* fd : {&process_, &system_}) {
    if (fd->valid()) flock(fd->get(), LOCK_UN);
    fd->Reset();
  }
}

}  // namespace o2c::bpf
