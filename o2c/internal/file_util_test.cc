// Unit tier: whole-file writes replace the target atomically and never
// write through a planted symlink.
#include "o2c/internal/file_util.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace o2c::internal {
namespace {

namespace fs = std::filesystem;
using ::o2c::testing::IsOk;
using ::o2c::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The bytes of `path`, or the error's text (so a failure shows it).
std::string Contents(const std::string& path) {
  absl::StatusOr<std::string> bytes = ReadFileBytes(path);
  return bytes.ok() ? *bytes : bytes.status().ToString();
}

// A fresh directory per test under the test's TEST_TMPDIR.
fs::path FreshDir(const std::string& name) {
  fs::path dir = fs::path(std::getenv("TEST_TMPDIR")) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::vector<std::string> Entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST(FileUtilTest, WritesReplacesAndLeavesNoTemporary) {
  const fs::path dir = FreshDir("replace");
  const std::string path = (dir / "m.o2cm").string();
  ASSERT_THAT(WriteFileBytes(path, std::string("first\0bytes", 11)), IsOk());
  EXPECT_EQ(Contents(path), std::string("first\0bytes", 11));
  ASSERT_THAT(WriteFileBytes(path, "second"), IsOk());
  EXPECT_EQ(Contents(path), "second");
  EXPECT_THAT(Entries(dir), ElementsAre("m.o2cm"));
}

TEST(FileUtilTest, SymlinkAtTheTargetIsReplacedNotFollowed) {
  const fs::path dir = FreshDir("target_link");
  const fs::path victim = dir / "victim";
  ASSERT_THAT(WriteFileBytes(victim.string(), "precious"), IsOk());
  const fs::path target = dir / "m.o2cm";
  fs::create_symlink(victim, target);
  ASSERT_THAT(WriteFileBytes(target.string(), "model"), IsOk());
  EXPECT_EQ(Contents(victim.string()), "precious");
  EXPECT_FALSE(fs::is_symlink(fs::symlink_status(target)));
  EXPECT_EQ(Contents(target.string()), "model");
}

TEST(FileUtilTest, SymlinkAtAPredictableTemporaryIsNotFollowed) {
  const fs::path dir = FreshDir("tmp_link");
  const fs::path victim = dir / "victim";
  ASSERT_THAT(WriteFileBytes(victim.string(), "precious"), IsOk());
  const fs::path target = dir / "m.o2cm";
  fs::create_symlink(victim, dir / "m.o2cm.tmp");
  fs::create_symlink(victim, dir / ".m.o2cm.tmp");
  ASSERT_THAT(WriteFileBytes(target.string(), "model"), IsOk());
  EXPECT_EQ(Contents(victim.string()), "precious");
  EXPECT_EQ(Contents(target.string()), "model");
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(dir / "m.o2cm.tmp")));
  EXPECT_THAT(Entries(dir), ElementsAre(".m.o2cm.tmp", "m.o2cm", "m.o2cm.tmp", "victim"));
}

TEST(FileUtilTest, ErrorsNameTheFile) {
  const fs::path dir = FreshDir("errors");
  const std::string missing_dir = (dir / "no_such_dir" / "m.o2cm").string();
  EXPECT_THAT(WriteFileBytes(missing_dir, "x"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(missing_dir + ": cannot create")));
  const std::string missing = (dir / "absent.o2cm").string();
  EXPECT_THAT(ReadFileBytes(missing),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(missing + ": cannot open")));
  // A directory at the target: the rename fails and the temporary is gone.
  fs::create_directory(dir / "taken");
  EXPECT_THAT(WriteFileBytes((dir / "taken").string(), "x"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("taken: rename from")));
  EXPECT_THAT(Entries(dir), ElementsAre("taken"));
}

}  // namespace
}  // namespace o2c::internal
