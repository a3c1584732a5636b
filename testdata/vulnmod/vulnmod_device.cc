#include "testdata/vulnmod/vulnmod_device.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace o2c::testing {

std::string LoadVulnmod() {
  constexpr char kModule[] = "testdata/vulnmod/vulnmod.ko";
  int fd = open(kModule, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::string(kModule) + ": " + std::strerror(errno);
  long rc = syscall(SYS_finit_module, fd, "", 0);
  int err = errno;
  close(fd);
  if (rc != 0 && err != EEXIST) return std::string("finit_module: ") + std::strerror(err);
  return "";
}

long VulnRequest(int fd, unsigned long cmd, uint32_t index, uint32_t size) {
  return VulnRequest(fd, cmd, index, size, nullptr);
}

long VulnRequest(int fd, unsigned long cmd, uint32_t index, uint32_t size, const void* data) {
  vuln_request req = {.index = index,
                      .size = size,
                      .data = static_cast<__u64>(reinterpret_cast<uintptr_t>(data))};
  return ioctl(fd, cmd, &req);
}

int RunVulnmodWorkload(long rounds) {
  const std::string n = std::to_string(rounds);
  const std::string last = std::to_string(VULN_SLOTS);
  pid_t pid = fork();
  if (pid == 0) {
    execl(kVulnmodWorkload, kVulnmodWorkload, n.c_str(), "0", last.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int wstatus = -1;
  if (pid < 0 || waitpid(pid, &wstatus, 0) != pid) return -1;
  return wstatus;
}

}  // namespace o2c::testing
