#include "bench/program_stats.h"

#include <bpf/bpf.h>
#include <unistd.h>

#include "o2c/bpf/loader/program_loader.h"

namespace o2c::bench {

std::set<uint32_t> LoadedProgramIds() {
  std::set<uint32_t> ids;
  uint32_t id = 0;
  while (bpf_prog_get_next_id(id, &id) == 0) ids.insert(id);
  return ids;
}

std::vector<ProgramCost> CostOf(const std::set<uint32_t>& ids) {
  std::vector<ProgramCost> costs;
  for (uint32_t id : ids) {
    int fd = bpf_prog_get_fd_by_id(id);
    if (fd < 0) continue;
    if (auto info = bpf::ProgramInfo(fd); info.ok()) {
      costs.push_back({info->name, info->run_cnt, info->run_time_ns, info->recursion_misses});
    }
    close(fd);
  }
  return costs;
}

}  // namespace o2c::bench
