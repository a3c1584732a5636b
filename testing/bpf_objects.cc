#include "testing/bpf_objects.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace o2c::testing {
namespace {

// A get-next-id function of libbpf.
using NextId = int (*)(uint32_t, uint32_t*);

// Every id of one kind, without opening any: opening a prog array by id
// while its owner tears it down can keep it alive in the kernel.
std::set<uint32_t> Ids(NextId next) {
  std::set<uint32_t> ids;
  for (uint32_t id = 0; next(id, &id) == 0;) ids.insert(id);
  return ids;
}

std::set<uint32_t> Among(const std::set<uint32_t>& ids, const std::set<uint32_t>& existing) {
  std::set<uint32_t> both;
  for (uint32_t id : ids) {
    if (existing.count(id)) both.insert(id);
  }
  return both;
}

std::vector<std::string> DirEntries(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') names.push_back(e->d_name);
  }
  closedir(d);
  return names;
}

bool ProgramInfo(uint32_t id, bpf_prog_info* info, std::vector<uint32_t>* map_ids) {
  int fd = bpf_prog_get_fd_by_id(id);
  if (fd < 0) return false;
  *info = {};
  uint32_t len = sizeof(*info);
  bool ok = bpf_obj_get_info_by_fd(fd, info, &len) == 0;
  if (ok && map_ids != nullptr && info->nr_map_ids > 0) {
    map_ids->resize(info->nr_map_ids);
    uint32_t nr = info->nr_map_ids;
    *info = {};
    info->nr_map_ids = nr;
    info->map_ids = reinterpret_cast<uint64_t>(map_ids->data());
    len = sizeof(*info);
    ok = bpf_obj_get_info_by_fd(fd, info, &len) == 0;
    map_ids->resize(std::min(nr, info->nr_map_ids));
  }
  close(fd);
  return ok;
}

template <typename Info>
std::map<uint32_t, Info> Each(NextId next, int (*open)(uint32_t)) {
  std::map<uint32_t, Info> all;
  uint32_t id = 0;
  while (next(id, &id) == 0) {
    int fd = open(id);
    if (fd < 0) continue;
    Info info = {};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) all[id] = info;
    close(fd);
  }
  return all;
}

}  // namespace

void BpfObjectIds::Add(const BpfObjectIds& other) {
  programs.insert(other.programs.begin(), other.programs.end());
  maps.insert(other.maps.begin(), other.maps.end());
  links.insert(other.links.begin(), other.links.end());
}

std::string BpfObjectIds::Summary() const {
  std::ostringstream out;
  out << programs.size() << " programs, " << maps.size() << " maps, " << links.size()
      << " links";
  return out.str();
}

BpfObjectIds HeldByProcess(pid_t pid) {
  BpfObjectIds ids;
  const std::string proc = "/proc/" + std::to_string(pid);
  for (const std::string& fd : DirEntries(proc + "/fdinfo")) {
    std::ifstream in(proc + "/fdinfo/" + fd);
    std::map<std::string, uint32_t> fields;
    std::string line;
    while (std::getline(in, line)) {
      size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string key = line.substr(0, colon);
      if (key == "link_id" || key == "map_id" || key == "prog_id") {
        fields[key] = static_cast<uint32_t>(std::stoul(line.substr(colon + 1)));
      }
    }
    // A link's fdinfo names its program too; a program's has no map_id.
    if (fields.count("link_id")) {
      ids.links.insert(fields["link_id"]);
      if (fields.count("prog_id")) ids.programs.insert(fields["prog_id"]);
    } else if (fields.count("map_id")) {
      ids.maps.insert(fields["map_id"]);
    } else if (fields.count("prog_id")) {
      ids.programs.insert(fields["prog_id"]);
    }
  }
  for (uint32_t prog : std::set<uint32_t>(ids.programs)) {
    bpf_prog_info info;
    std::vector<uint32_t> maps;
    if (ProgramInfo(prog, &info, &maps)) ids.maps.insert(maps.begin(), maps.end());
  }
  return ids;
}

BpfObjectIds StillAlive(const BpfObjectIds& ids) {
  BpfObjectIds alive;
  alive.programs = Among(ids.programs, Ids(bpf_prog_get_next_id));
  alive.maps = Among(ids.maps, Ids(bpf_map_get_next_id));
  alive.links = Among(ids.links, Ids(bpf_link_get_next_id));
  return alive;
}

BpfObjectIds AllBpfObjectIds() {
  return {.programs = Ids(bpf_prog_get_next_id),
          .maps = Ids(bpf_map_get_next_id),
          .links = Ids(bpf_link_get_next_id)};
}

BpfObjectIds WaitUntilGone(const BpfObjectIds& ids, double seconds) {
  BpfObjectIds alive = StillAlive(ids);
  for (int tries = 0; tries < seconds * 10 && !alive.empty(); ++tries) {
    usleep(100 * 1000);
    alive = StillAlive(alive);
  }
  return alive;
}

BpfObjectNames AllBpfObjects() {
  BpfObjectNames all;
  for (const auto& [id, info] :
       Each<bpf_prog_info>(bpf_prog_get_next_id, bpf_prog_get_fd_by_id)) {
    all.programs[id] = info.name;
  }
  for (const auto& [id, info] :
       Each<bpf_map_info>(bpf_map_get_next_id, bpf_map_get_fd_by_id)) {
    all.maps[id] = info.name;
  }
  for (const auto& [id, info] :
       Each<bpf_link_info>(bpf_link_get_next_id, bpf_link_get_fd_by_id)) {
    auto prog = all.programs.find(info.prog_id);
    all.links[id] = prog == all.programs.end() ? "" : prog->second;
  }
  return all;
}

BpfObjectIds NewObjectsNamed(const BpfObjectIds& before, const std::set<std::string>& names,
                             double seconds) {
  auto fresh = [](const std::set<uint32_t>& was, const std::set<uint32_t>& is) {
    std::set<uint32_t> ids;
    for (uint32_t id : is) {
      if (!was.count(id)) ids.insert(id);
    }
    return ids;
  };
  const BpfObjectIds now = AllBpfObjectIds();
  BpfObjectIds left = WaitUntilGone({.programs = fresh(before.programs, now.programs),
                                     .maps = fresh(before.maps, now.maps),
                                     .links = fresh(before.links, now.links)},
                                    seconds);
  // Long gone from their owner's hands: safe to open now, for their names.
  BpfObjectNames all = AllBpfObjects();
  auto named = [&](const std::set<uint32_t>& ids, std::map<uint32_t, std::string>& name_of) {
    std::set<uint32_t> ours;
    for (uint32_t id : ids) {
      if (names.count(name_of[id])) ours.insert(id);
    }
    return ours;
  };
  return {.programs = named(left.programs, all.programs),
          .maps = named(left.maps, all.maps),
          .links = named(left.links, all.links)};
}

std::set<std::string> NamesOf(const BpfObjectIds& ids) {
  BpfObjectNames all = AllBpfObjects();
  std::set<std::string> names;
  for (uint32_t id : ids.programs) {
    if (all.programs.count(id)) names.insert(all.programs[id]);
  }
  for (uint32_t id : ids.maps) {
    if (all.maps.count(id)) names.insert(all.maps[id]);
  }
  return names;
}

std::string Describe(const BpfObjectIds& ids) {
  std::map<std::string, std::set<uint32_t>> held_by;  // "map 12" -> pids
  for (const std::string& entry : DirEntries("/proc")) {
    if (entry.find_first_not_of("0123456789") != std::string::npos) continue;
    BpfObjectIds held = HeldByProcess(std::stoi(entry));
    for (uint32_t id : held.maps) held_by["map " + std::to_string(id)].insert(std::stoul(entry));
    for (uint32_t id : held.programs) {
      held_by["program " + std::to_string(id)].insert(std::stoul(entry));
    }
  }
  BpfObjectNames all = AllBpfObjects();
  std::ostringstream out;
  auto line = [&](const char* kind, uint32_t id, const std::string& name) {
    std::string key = std::string(kind) + " " + std::to_string(id);
    out << key << " '" << name << "' held by";
    for (uint32_t pid : held_by[key]) out << " " << pid;
    if (held_by[key].empty()) out << " the kernel only";
    out << "\n";
  };
  for (uint32_t id : ids.programs) line("program", id, all.programs[id]);
  for (uint32_t id : ids.maps) line("map", id, all.maps[id]);
  for (uint32_t id : ids.links) line("link", id, all.links[id]);
  return out.str();
}

int OpenFdCount() { return static_cast<int>(DirEntries("/proc/self/fd").size()); }

int64_t ResidentBytes() {
  std::ifstream in("/proc/self/statm");
  int64_t size = 0, resident = 0;
  in >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

}  // namespace o2c::testing
