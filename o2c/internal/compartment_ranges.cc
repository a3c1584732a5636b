#include "o2c/internal/compartment_ranges.h"

namespace o2c {

CompartmentRanges RangesOf(const Compartment& compartment) {
  CompartmentRanges r;
  for (const NamedRange& n : compartment.code()) r.code.push_back(n.range);
  if (!compartment.sites_exact()) {
    r.alloc_sites = r.code;
    r.free_sites = r.code;
    return r;
  }
  for (const CallSite& s : compartment.alloc_sites()) {
    r.alloc_sites.push_back({s.return_address, s.return_address + 1});
  }
  for (const CallSite& s : compartment.free_sites()) {
    r.free_sites.push_back({s.return_address, s.return_address + 1});
  }
  // A site probe at a tail jump names the site by the jump's end (what a
  // call there would return to): no call_site the kernel reports is ever
  // that address, so the tracepoints never match it.
  for (const TailJump& jump : compartment.tail_jumps()) {
    auto& sites = jump.kind == CallSite::Kind::kAlloc ? r.alloc_sites : r.free_sites;
    sites.push_back({jump.jump_address + 5, jump.jump_address + 6});
  }
  for (const WrapperPath& w : compartment.wrapper_paths()) {
    if (w.kind == CallSite::Kind::kAlloc && w.reported == WrapperPath::Reported::kStack &&
        w.calls > 0) {
      r.alloc_wrappers.push_back(w.code);
    }
  }
  return r;
}

}  // namespace o2c
