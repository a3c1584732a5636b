// A resolved compartment's call sites in the form the site-probe planner
// (o2c/bpf/site_probes_programs.h) takes.
#ifndef O2C_INTERNAL_SITE_CALLS_H_
#define O2C_INTERNAL_SITE_CALLS_H_

#include <vector>

#include "o2c/bpf/site_probes_programs.h"
#include "o2c/compartment.h"

namespace o2c {

// Its allocation sites, then its free sites.
std::vector<bpf::SiteCall> SiteCallsOf(const Compartment& compartment);

}  // namespace o2c

#endif  // O2C_INTERNAL_SITE_CALLS_H_
