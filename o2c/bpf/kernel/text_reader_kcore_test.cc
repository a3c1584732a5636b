#include "o2c/bpf/kernel/text_reader_kcore.h"

#include <elf.h>

#include <cstring>
#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "o2c/internal/file_util.h"
#include "testing/status_matchers.h"

namespace o2c::bpf {
namespace {

using ::o2c::testing::IsOk;
using ::o2c::testing::IsOkAndHolds;
using ::o2c::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string TempPath(const char* name) {
  return (std::filesystem::path(::testing::TempDir()) / name).string();
}

// A core file like /proc/kcore: one PT_LOAD mapping 0xffffffff81000000 to
// four bytes at file offset 0x100.
std::string WriteFakeKcore() {
  std::string image(0x104, '\0');
  Elf64_Ehdr ehdr{};
  std::memcpy(ehdr.e_ident, ELFMAG, SELFMAG);
  ehdr.e_ident[EI_CLASS] = ELFCLASS64;
  ehdr.e_ident[EI_DATA] = ELFDATA2LSB;
  ehdr.e_type = ET_CORE;
  ehdr.e_phoff = sizeof(ehdr);
  ehdr.e_phentsize = sizeof(Elf64_Phdr);
  ehdr.e_phnum = 2;
  Elf64_Phdr note{};
  note.p_type = PT_NOTE;
  Elf64_Phdr load{};
  load.p_type = PT_LOAD;
  load.p_vaddr = 0xffffffff81000000;
  load.p_offset = 0x100;
  load.p_filesz = 4;
  std::memcpy(&image[0], &ehdr, sizeof(ehdr));
  std::memcpy(&image[sizeof(ehdr)], &note, sizeof(note));
  std::memcpy(&image[sizeof(ehdr) + sizeof(note)], &load, sizeof(load));
  std::memcpy(&image[0x100], "\x0f\x1f\x44\x00", 4);  // nopl 0x0(%rax,%rax,1)
  std::string path = TempPath("fake_kcore");
  EXPECT_THAT(internal::WriteFileBytes(path, image), IsOk());
  return path;
}

TEST(KcoreReaderTest, ReadsThroughLoadSegments) {
  auto reader = OpenKcoreReader(WriteFakeKcore());
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_THAT((*reader)->Read(0xffffffff81000001, 3),
              IsOkAndHolds(ElementsAre(0x1f, 0x44, 0x00)));
  EXPECT_THAT((*reader)->Read(0xffffffff81000002, 4),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("no segment holds")));
}

TEST(KcoreReaderTest, MissingAndBadFiles) {
  EXPECT_THAT(OpenKcoreReader(TempPath("no_kcore_here")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no_kcore_here: open")));
  std::string path = TempPath("not_elf");
  ASSERT_THAT(internal::WriteFileBytes(path, "hello, this is not an ELF file at all, and long "
                                             "enough to read a whole ELF header from it"),
              IsOk());
  EXPECT_THAT(OpenKcoreReader(path), StatusIs(absl::StatusCode::kInvalidArgument,
                                              HasSubstr("not an ELF64 LE core file")));
}

}  // namespace
}  // namespace o2c::bpf
