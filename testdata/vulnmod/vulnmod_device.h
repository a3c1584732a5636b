// The VM-tier tests' side of testdata/vulnmod: loading the module and one
// ioctl on /dev/vulnmod.
#ifndef O2C_TESTDATA_VULNMOD_VULNMOD_DEVICE_H_
#define O2C_TESTDATA_VULNMOD_VULNMOD_DEVICE_H_

#include <cstdint>
#include <string>

#include "testdata/vulnmod/vulnmod.h"

namespace o2c::testing {

inline constexpr char kVulnmodDevice[] = "/dev/vulnmod";
// The benign workload (vulnmod_workload.c), relative to the working directory.
inline constexpr char kVulnmodWorkload[] = "testdata/vulnmod/vulnmod_workload";

// Loads testdata/vulnmod/vulnmod.ko (relative to the working directory) once
// per boot: "" if it is loaded, else why not.
std::string LoadVulnmod();

// ioctl `cmd` (VULN_ALLOC, VULN_FREE) on `fd` for slot `index`; its result.
long VulnRequest(int fd, unsigned long cmd, uint32_t index, uint32_t size = 0);
// The same with a user address for the request's data (VULN_WRITE).
long VulnRequest(int fd, unsigned long cmd, uint32_t index, uint32_t size, const void* data);

// Runs kVulnmodWorkload for `rounds` rounds over every slot and waits for
// it: its wait status, or -1 if it could not be started.
int RunVulnmodWorkload(long rounds);

}  // namespace o2c::testing

#endif  // O2C_TESTDATA_VULNMOD_VULNMOD_DEVICE_H_
