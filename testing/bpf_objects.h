// BPF objects (programs, maps, links) as the kernel lists them, for tests
// that prove nothing was left behind: by the fds a process holds
// (/proc/PID/fdinfo) and by the kernel's id lists (BPF_*_GET_NEXT_ID).
// Reading another process's objects needs CAP_SYS_ADMIN (root).
#ifndef O2C_TESTING_BPF_OBJECTS_H_
#define O2C_TESTING_BPF_OBJECTS_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>

namespace o2c::testing {

// Kernel ids of programs, maps and links.
struct BpfObjectIds {
  std::set<uint32_t> programs;
  std::set<uint32_t> maps;
  std::set<uint32_t> links;

  bool empty() const { return programs.empty() && maps.empty() && links.empty(); }
  void Add(const BpfObjectIds& other);
  // "3 programs, 5 maps, 2 links".
  std::string Summary() const;
};

// The objects process `pid` holds an fd on, and the maps its programs use.
BpfObjectIds HeldByProcess(pid_t pid);

// Those of `ids` the kernel still has (by its id lists: no object is
// opened, since opening a prog array by id while its owner tears it down
// can keep it alive in the kernel).
BpfObjectIds StillAlive(const BpfObjectIds& ids);

// Waits up to `seconds` until none of `ids` is alive (the kernel frees
// programs and maps after an RCU grace period, prog arrays from a work
// item); returns those still alive.
BpfObjectIds WaitUntilGone(const BpfObjectIds& ids, double seconds = 10);

// Every object alive now, by id (none is opened).
BpfObjectIds AllBpfObjectIds();

// Every object alive now, by id, with its name (a link: its program's).
// Opens each: call it when no object is being torn down.
struct BpfObjectNames {
  std::map<uint32_t, std::string> programs;
  std::map<uint32_t, std::string> maps;
  std::map<uint32_t, std::string> links;
};
BpfObjectNames AllBpfObjects();

// The objects not in `before` that are still alive after up to `seconds`,
// whose names are in `names` (other tests' objects on a shared machine are
// not counted).
BpfObjectIds NewObjectsNamed(const BpfObjectIds& before, const std::set<std::string>& names,
                             double seconds = 10);

// The names of `ids` (programs, maps, and the programs of links).
std::set<std::string> NamesOf(const BpfObjectIds& ids);

// One line per object of `ids`: kind, id, name, and the processes holding
// an fd on it (for a failure message).
std::string Describe(const BpfObjectIds& ids);

// This process's open fds.
int OpenFdCount();

// This process's resident set in bytes.
int64_t ResidentBytes();

}  // namespace o2c::testing

#endif  // O2C_TESTING_BPF_OBJECTS_H_
