#include "o2c/bpf/kernel/text_reader_kcore.h"

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "o2c/bpf/loader/scoped_fd.h"

namespace o2c::bpf {
namespace {

struct Segment {
  uint64_t vaddr;
  uint64_t size;
  uint64_t offset;
};

class KcoreReader : public KernelTextReader {
 public:
  KcoreReader(std::string path, ScopedFd fd, std::vector<Segment> segments)
      : path_(std::move(path)), fd_(std::move(fd)), segments_(std::move(segments)) {}

  absl::StatusOr<std::vector<uint8_t>> Read(uint64_t address, size_t size) const override {
    for (const Segment& s : segments_) {
      if (address < s.vaddr || address - s.vaddr + size > s.size) continue;
      std::vector<uint8_t> bytes(size);
      ssize_t n = pread(fd_.get(), bytes.data(), size,
                        static_cast<off_t>(s.offset + (address - s.vaddr)));
      if (n != static_cast<ssize_t>(size)) {
        return absl::ErrnoToStatus(n < 0 ? errno : EIO,
                                   absl::StrCat(path_, ": read ", size, " bytes at 0x",
                                                absl::Hex(address)));
      }
      return bytes;
    }
    return absl::OutOfRangeError(absl::StrCat(path_, ": no segment holds [0x",
                                              absl::Hex(address), ", +", size, ")"));
  }

  std::string Describe() const override { return path_; }

 private:
  std::string path_;
  ScopedFd fd_;
  std::vector<Segment> segments_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<KernelTextReader>> OpenKcoreReader(const std::string& path) {
  ScopedFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return absl::ErrnoToStatus(errno, absl::StrCat(path, ": open"));
  Elf64_Ehdr ehdr;
  if (pread(fd.get(), &ehdr, sizeof(ehdr), 0) != sizeof(ehdr) ||
      std::memcmp(ehdr.e_ident, ELFMAG, SELFMAG) != 0 ||
      ehdr.e_ident[EI_CLASS] != ELFCLASS64 || ehdr.e_ident[EI_DATA] != ELFDATA2LSB ||
      ehdr.e_phentsize != sizeof(Elf64_Phdr)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not an ELF64 LE core file"));
  }
  std::vector<Segment> segments;
  for (int i = 0; i < ehdr.e_phnum; ++i) {
    Elf64_Phdr phdr;
    if (pread(fd.get(), &phdr, sizeof(phdr), ehdr.e_phoff + i * sizeof(phdr)) !=
        sizeof(phdr)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": truncated program header ", i));
    }
    if (phdr.p_type == PT_LOAD) segments.push_back({phdr.p_vaddr, phdr.p_filesz, phdr.p_offset});
  }
  if (segments.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": no PT_LOAD segment"));
  }
  return std::unique_ptr<KernelTextReader>(
      new KcoreReader(path, std::move(fd), std::move(segments)));
}

}  // namespace o2c::bpf
