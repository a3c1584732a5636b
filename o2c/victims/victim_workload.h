// A workload that makes the kernel allocate and free every victim type of
// victim_types.h through ordinary system calls: fork (cred, ldt_struct),
// /proc seq files (file, seq_operations), System V messages and shared
// memory, pipes, Unix datagram sockets, user keys, pseudo-terminals,
// timerfds, poll() over many descriptors, extended attributes on tmpfs, and
// an unknown socket family (the kernel asks a usermode helper for a module).
//
// What a kernel refuses (no devpts, no modules, no keys) is skipped and
// named once on stderr; the harvest counts what it actually saw.
#ifndef O2C_VICTIMS_VICTIM_WORKLOAD_H_
#define O2C_VICTIMS_VICTIM_WORKLOAD_H_

namespace o2c::victims {

// Runs `rounds` rounds (each makes and frees every type a few times) in the
// calling process, which must be single-threaded (it forks). Returns 0, or 1
// if nothing at all could be made. Every object it makes is freed before it
// returns, except what the kernel frees later on its own (RCU, the key
// garbage collector).
int MakeVictims(int rounds);

}  // namespace o2c::victims

#endif  // O2C_VICTIMS_VICTIM_WORKLOAD_H_
