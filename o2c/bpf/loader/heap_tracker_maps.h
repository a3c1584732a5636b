// Sizing the private heap's maps (lib/heap_tracker.bpf.h) before load.
#ifndef O2C_BPF_LOADER_HEAP_TRACKER_MAPS_H_
#define O2C_BPF_LOADER_HEAP_TRACKER_MAPS_H_

#include <bpf/libbpf.h>

#include <cstdint>

#include "absl/status/statusor.h"

namespace o2c::bpf {

// How a heap tracker for `max_tracked` live objects is laid out.
struct HeapTrackerSizes {
  uint32_t buckets = 0;           // a power of 2: `tracked` and `tracked_counts` entries
  uint32_t overflow_entries = 0;  // the `tracked_overflow` hash map's entries
};

// The private heap's maps of a loaded program, shared with programs that
// only read it (the census); the program keeps ownership of the fds.
struct HeapMapFds {
  int tracked = -1;           // the bucket array
  int tracked_counts = -1;    // objects per bucket
  int tracked_overflow = -1;  // the overflow hash map
};

// Buckets for twice `max_tracked` slots (so that few buckets fill up), and an
// overflow map that can hold every object; the live-object counter in the
// program enforces `max_tracked` itself.
HeapTrackerSizes HeapTrackerSizesFor(uint32_t max_tracked);

// Sets the entries of a program's `tracked`, `tracked_counts` and
// `tracked_overflow` maps for
// `max_tracked` objects and returns the sizes; the caller then sets the
// program's o2c_heap_bucket_mask (buckets - 1) and o2c_heap_capacity
// (max_tracked). `what` names the program in errors.
absl::StatusOr<HeapTrackerSizes> SizeHeapTrackerMaps(const char* what, bpf_map* buckets,
                                                     bpf_map* counts, bpf_map* overflow,
                                                     uint32_t max_tracked);

}  // namespace o2c::bpf

#endif  // O2C_BPF_LOADER_HEAP_TRACKER_MAPS_H_
