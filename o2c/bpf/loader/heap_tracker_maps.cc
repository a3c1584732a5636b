#include "o2c/bpf/loader/heap_tracker_maps.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "o2c/bpf/loader/program_loader.h"

namespace o2c::bpf {

namespace {
constexpr uint32_t kBucketSlots = 4;  // O2C_BUCKET_SLOTS
}  // namespace

HeapTrackerSizes HeapTrackerSizesFor(uint32_t max_tracked) {
  HeapTrackerSizes sizes;
  uint64_t want = (2 * static_cast<uint64_t>(max_tracked) + kBucketSlots - 1) / kBucketSlots;
  uint64_t buckets = 1;
  while (buckets < want) buckets *= 2;
  sizes.buckets = static_cast<uint32_t>(buckets);
  sizes.overflow_entries = max_tracked;
  return sizes;
}

absl::StatusOr<HeapTrackerSizes> SizeHeapTrackerMaps(const char* what, bpf_map* buckets,
                                                     bpf_map* counts, bpf_map* overflow,
                                                     uint32_t max_tracked) {
  if (max_tracked == 0) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": max_tracked is 0"));
  }
  if (max_tracked > (1u << 24)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": max_tracked ", max_tracked, " is over the limit of ", 1u << 24));
  }
  HeapTrackerSizes sizes = HeapTrackerSizesFor(max_tracked);
  int err = bpf_map__set_max_entries(buckets, sizes.buckets);
  if (!err) err = bpf_map__set_max_entries(counts, sizes.buckets);
  if (!err) err = bpf_map__set_max_entries(overflow, sizes.overflow_entries);
  if (err) return LibbpfError(err, absl::StrCat(what, ": size the heap tracker's maps"));
  return sizes;
}

}  // namespace o2c::bpf
