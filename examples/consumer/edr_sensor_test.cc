// The agent's tests, built against O2C as a dependency (Bazel: this
// workspace; CMake: the installed library, examples/cmake_consumer/). The
// sensor test attaches in this machine's kernel: run it as root.
//   edr_sensor_test POLICY MODEL
#include "edr_sensor.h"

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edr {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string policy_path;  // from the command line
std::string model_path;

TEST(PolicyTest, ABadPolicyIsRefusedNamingItsFileAndLine) {
  std::string path = ::testing::TempDir() + "/typo.policy";
  std::ofstream(path) << "name: \"pipe\"\ncompartmnet { function: \"pipe_read\" }\n";
  absl::StatusOr<o2c::Policy> policy = o2c::Policy::FromFile(path);
  ASSERT_FALSE(policy.ok());
  EXPECT_THAT(std::string(policy.status().message()), HasSubstr(path + ":2"));
}

TEST(AuditionModelTest, TheShippedModelLoadsWithItsClasses) {
  absl::StatusOr<o2c::AuditionModel> model = o2c::AuditionModel::Load(model_path);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_THAT(model->class_names(), ::testing::Contains("own"));
  EXPECT_THAT(model->class_names(), ::testing::Contains("kernel"));
}

TEST(SensorTest, AnUnreadableModelStopsTheStartNamingIt) {
  absl::StatusOr<std::unique_ptr<EdrSensor>> sensor =
      EdrSensor::Start({.policy_path = policy_path, .model_path = "/nonexistent.o2cm"});
  ASSERT_FALSE(sensor.ok());
  EXPECT_THAT(std::string(sensor.status().message()), HasSubstr("/nonexistent.o2cm"));
}

// A workload with 8 pipes open across the attach and 200 made after it.
[[noreturn]] void Workload(int go_fd) {
  int old[8][2], fds[2];
  char c;
  for (auto& p : old) {
    if (pipe(p) != 0) _exit(2);
  }
  if (read(go_fd, &c, 1) != 1) _exit(3);
  for (auto& p : old) close(p[0]), close(p[1]);
  for (int i = 0; i < 200; ++i) {
    if (pipe(fds) != 0) _exit(2);
    close(fds[0]);
    close(fds[1]);
  }
  _exit(0);
}

TEST(SensorTest, WatchesAWorkloadLogsVersionedEventsAndCountsThem) {
  if (geteuid() != 0) GTEST_SKIP() << "attaching needs root";
  int go[2];
  ASSERT_EQ(pipe(go), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) Workload(go[0]);
  absl::StatusOr<std::unique_ptr<EdrSensor>> sensor = EdrSensor::Start(
      {.policy_path = policy_path, .model_path = model_path, .scope_tgid = child});
  ASSERT_EQ(write(go[1], "g", 1), 1);
  if (!sensor.ok()) kill(child, SIGKILL);
  ASSERT_TRUE(sensor.ok()) << sensor.status();

  int wstatus = 0;
  while (waitpid(child, &wstatus, WNOHANG) == 0) {
    pollfd ready = {.fd = (*sensor)->fd(), .events = POLLIN};
    poll(&ready, 1, 100);
    ASSERT_TRUE((*sensor)->Pump().ok());
  }
  ASSERT_TRUE((*sensor)->Pump().ok());
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) << "the workload was disturbed";

  std::vector<std::string> log = (*sensor)->TakeLog();
  ASSERT_FALSE(log.empty());
  EXPECT_THAT(log[0], StartsWith("{\"schema_version\":" +
                                 std::to_string(o2c::Enforcer::kEventSchemaVersion) +
                                 ",\"kind\":\"PHASE\""));
  for (const std::string& line : log) EXPECT_THAT(line, StartsWith("{\"schema_version\":"));

  absl::StatusOr<std::string> metrics = (*sensor)->Metrics();
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      *metrics, m, std::regex(R"(\no2c_objects_tracked_total\{compartment="pipe"\} (\d+)\n)")))
      << *metrics;
  EXPECT_GE(std::stoll(m[1]), 200) << "each of the workload's 200 pipes is tracked";
  EXPECT_THAT(*metrics, HasSubstr("o2c_violations_total{compartment=\"pipe\"} 0\n"));
  EXPECT_TRUE((*sensor)->Stop()) << "programs left loaded after Stop";
}

}  // namespace
}  // namespace edr

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s POLICY MODEL\n", argv[0]);
    return 2;
  }
  // Bazel names a file of another repository external/<repo>/...; in the
  // runfiles tree that repository sits beside this one.
  auto runfile = [](std::string path) {
    return path.rfind("external/", 0) == 0 ? "../" + path.substr(9) : path;
  };
  edr::policy_path = runfile(argv[1]);
  edr::model_path = runfile(argv[2]);
  return RUN_ALL_TESTS();
}
