// The victim set: the kernel object types that public exploits make a buggy
// component free or overwrite (a use-after-free's target, a heap spray's
// filler), and how to recognise each in the running kernel.
//
// An audition model earns its keep on exactly these objects: an exploit
// makes the compartment free one of them, and the model must call it
// "kernel", not "own". Random frees elsewhere in the kernel are a weaker
// test. Each type is recognised by the functions that allocate it (for a
// type with a dedicated cache, the functions that allocate from that cache),
// resolved with kallsyms on the running kernel: names drift between kernels,
// so a type lists every name it has had, and what the kernel lacks is
// reported, never guessed.
//
//   O2C_ASSIGN_OR_RETURN(bpf::Kallsyms k, bpf::Kallsyms::FromFile());
//   std::vector<o2c::victims::ResolvedVictim> v = o2c::victims::ResolveVictims(k);
#ifndef O2C_VICTIMS_VICTIM_TYPES_H_
#define O2C_VICTIMS_VICTIM_TYPES_H_

#include <string>
#include <vector>

#include "o2c/bpf/kernel/kallsyms.h"

namespace o2c::victims {

// One object type exploits aim at.
struct VictimType {
  std::string name;      // "seq_operations"
  std::string cache;     // where it lives: "kmalloc-32", "cred_jar", ...
  std::string why;       // what an exploit does with it, in a line
  // The functions whose calls to kmalloc/kmem_cache_alloc allocate it (the
  // kmem tracepoints' call_site falls inside one of them). Any of them may
  // be missing on a given kernel.
  std::vector<std::string> alloc_functions;
};

// The catalogue, in a fixed order (an index into it is a stable type id).
// A static list, valid forever.
const std::vector<VictimType>& VictimCatalogue();

// A catalogue entry resolved on one kernel.
struct ResolvedVictim {
  const VictimType* type = nullptr;       // into VictimCatalogue()
  std::vector<bpf::AddressRange> ranges;  // code of the functions found, sorted
  std::vector<std::string> found;         // symbol names found ("alloc_empty_file.cold")
  std::vector<std::string> absent;        // alloc_functions not in this kernel
  bool present() const { return !ranges.empty(); }
};

// Every catalogue entry, in catalogue order, resolved with `kallsyms`: a
// function counts with its compiler-made parts ("name.cold", "name.isra.0",
// "name.constprop.0"), and every copy of a static name.
std::vector<ResolvedVictim> ResolveVictims(const bpf::Kallsyms& kallsyms);

}  // namespace o2c::victims

#endif  // O2C_VICTIMS_VICTIM_TYPES_H_
