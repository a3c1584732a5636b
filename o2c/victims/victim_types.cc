#include "o2c/victims/victim_types.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace o2c::victims {
namespace {

// The name a compiler-made part belongs to: "pipe_resize_ring.cold" ->
// "pipe_resize_ring", "load_msg.isra.0" -> "load_msg".
absl::string_view BaseName(absl::string_view symbol) {
  return symbol.substr(0, symbol.find('.'));
}

}  // namespace

const std::vector<VictimType>& VictimCatalogue() {
  static const auto* catalogue = new std::vector<VictimType>{
      {"cred", "cred_jar",
       "a freed cred reclaimed by the attacker's process gives it root (uid 0 written over it)",
       {"prepare_creds", "prepare_kernel_cred"}},
      {"file", "filp",
       "a freed struct file reopened as a privileged file (DirtyCred's file swap)",
       {"alloc_empty_file", "alloc_empty_file_noaccount", "alloc_empty_backing_file",
        "__alloc_file"}},
      {"seq_operations", "kmalloc-32",
       "four function pointers in kmalloc-32: overwritten ->start hijacks control on read()",
       {"single_open"}},
      {"msg_msg", "kmalloc-64 .. kmalloc-4k (cg)",
       "System V message: sprayed to any size, header rewritten for out-of-bounds reads and "
       "arbitrary frees",
       {"alloc_msg", "load_msg"}},
      {"pipe_buffer", "kmalloc-1k (cg)",
       "pipe ring: ops pointer hijack, or flags rewritten to write page cache (Dirty Pipe)",
       {"alloc_pipe_info", "pipe_resize_ring"}},
      {"sk_buff", "skbuff_head_cache, kmalloc-512 .. 4k (data)",
       "socket buffer data: attacker-filled spray of any size; the head's pointers for "
       "arbitrary reads and writes",
       {"__alloc_skb", "kmalloc_reserve", "__kmalloc_reserve", "alloc_skb_with_frags"}},
      {"user_key_payload", "kmalloc-32 .. 4k",
       "add_key payload: an attacker-sized object whose length field leaks the heap on read",
       {"user_preparse"}},
      {"tty_struct", "kmalloc-1k",
       "pseudo-terminal: its ops table pointer is the classic control-flow hijack",
       {"alloc_tty_struct"}},
      {"timerfd_ctx", "kmalloc-256",
       "timer context: its hrtimer callback pointer and list pointers leak and hijack",
       {"__do_sys_timerfd_create", "__x64_sys_timerfd_create", "__se_sys_timerfd_create"}},
      {"subprocess_info", "kmalloc-128",
       "usermode helper request: overwritten path and argv run a program as root",
       {"call_usermodehelper_setup"}},
      {"poll_list", "kmalloc-32 .. 4k",
       "poll()'s fd list: a timed, attacker-sized allocation whose next pointer is freed",
       {"do_sys_poll"}},
      {"ldt_struct", "kmalloc-16",
       "x86 local descriptor table: its entries pointer turned into arbitrary reads",
       {"alloc_ldt_struct"}},
      {"shm_file_data", "kmalloc-32",
       "System V shared memory attachment: pointers that leak the kernel's base",
       {"do_shmat"}},
      {"simple_xattr", "kmalloc-cg-*",
       "in-memory extended attribute: an attacker-sized, attacker-filled object with list "
       "pointers",
       {"simple_xattr_alloc"}},
  };
  return *catalogue;
}

std::vector<ResolvedVictim> ResolveVictims(const bpf::Kallsyms& kallsyms) {
  absl::flat_hash_map<absl::string_view, std::vector<const bpf::Symbol*>> by_base;
  for (const bpf::Symbol& s : kallsyms.symbols()) {
    if (s.IsText() && s.module.empty()) by_base[BaseName(s.name)].push_back(&s);
  }
  std::vector<ResolvedVictim> resolved;
  for (const VictimType& type : VictimCatalogue()) {
    ResolvedVictim r;
    r.type = &type;
    for (const std::string& function : type.alloc_functions) {
      auto it = by_base.find(function);
      if (it == by_base.end()) {
        r.absent.push_back(function);
        continue;
      }
      for (const bpf::Symbol* s : it->second) {
        r.ranges.push_back(kallsyms.RangeOf(*s));
        r.found.push_back(s->name);
      }
    }
    std::sort(r.ranges.begin(), r.ranges.end(),
              [](const bpf::AddressRange& a, const bpf::AddressRange& b) {
                return a.start < b.start;
              });
    resolved.push_back(std::move(r));
  }
  return resolved;
}

}  // namespace o2c::victims
