#include "o2c/internal/site_calls.h"

namespace o2c {

std::vector<bpf::SiteCall> SiteCallsOf(const Compartment& compartment) {
  std::vector<bpf::SiteCall> calls;
  for (const auto* sites : {&compartment.alloc_sites(), &compartment.free_sites()}) {
    for (const CallSite& site : *sites) {
      // A call of a tail-jumping compartment function is where the kernel
      // reports the allocation or free; a probe belongs at the jump itself
      // (below), where the object is in the callee's argument register.
      if (!site.via.empty()) continue;
      calls.push_back({.alloc = site.kind == CallSite::Kind::kAlloc,
                       .callee = site.callee,
                       .call_address = site.call_address,
                       .return_address = site.return_address,
                       .tail = false});
    }
  }
  for (const TailJump& jump : compartment.tail_jumps()) {
    calls.push_back({.alloc = jump.kind == CallSite::Kind::kAlloc,
                     .callee = jump.callee,
                     .call_address = jump.jump_address,
                     .return_address = jump.jump_address + 5,  // a jmp rel32 is 5 bytes
                     .tail = true});
  }
  return calls;
}

}  // namespace o2c
