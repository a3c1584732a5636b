#include "testing/kernel_test.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace o2c::testing {

std::string WhyNoBpf() {
  if (geteuid() != 0) return "kernel-tier test needs root (euid is not 0)";
  // r0 = 0; exit: the smallest program the verifier accepts.
  const struct bpf_insn insns[] = {
      {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0},
      {.code = BPF_JMP | BPF_EXIT},
  };
  int fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "o2c_probe", "GPL", insns,
                         2, nullptr);
  if (fd < 0) {
    return std::string("cannot load a trivial BPF program: ") +
           std::strerror(errno) +
           " (inside Bazel's sandbox? tag the test no-sandbox)";
  }
  close(fd);
  return "";
}

std::set<std::pair<uint32_t, std::string>> KernelPrograms() {
  std::set<std::pair<uint32_t, std::string>> progs;
  uint32_t id = 0;
  while (bpf_prog_get_next_id(id, &id) == 0) {
    int fd = bpf_prog_get_fd_by_id(id);
    if (fd < 0) continue;
    bpf_prog_info info = {};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) progs.insert({id, info.name});
    close(fd);
  }
  return progs;
}

std::vector<uint32_t> WaitUntilUnloaded(std::vector<uint32_t> ids, double seconds) {
  for (int tries = 0; tries < seconds * 10 && !ids.empty(); ++tries) {
    std::vector<uint32_t> loaded;
    for (uint32_t id : ids) {
      int fd = bpf_prog_get_fd_by_id(id);
      if (fd >= 0) {
        close(fd);
        loaded.push_back(id);
      }
    }
    ids = loaded;
    if (!ids.empty()) usleep(100 * 1000);
  }
  return ids;
}

}  // namespace o2c::testing
