#include "o2c/internal/compartment_ranges.h"

namespace o2c {

CompartmentRanges RangesOf(const Compartment& compartment) {
  CompartmentRanges r;
  for (const NamedRange& n : compartment.code()) r.code.push_back(n.range);
  r.free_fallback = !compartment.sites_exact();
  for (const CallSite& s : compartment.alloc_sites()) {
    r.alloc_sites.push_back({s.return_address, s.return_address + 1});
  }
  for (const CallSite& s : compartment.free_sites()) {
    r.free_sites.push_back({s.return_address, s.return_address + 1});
    r.free_fallback |= s.tail;
  }
  if (!compartment.sites_exact()) r.alloc_sites = r.code;
  if (r.free_fallback) r.free_sites.insert(r.free_sites.end(), r.code.begin(), r.code.end());
  return r;
}

}  // namespace o2c
