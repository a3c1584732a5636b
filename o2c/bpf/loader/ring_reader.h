// Reading a BPF ring buffer in bounded batches. libbpf's ring_buffer__poll
// and __consume keep reading while records keep coming, so a producer that
// outpaces the consumer never lets a call return, and whatever the callback
// collects grows without end. A RingReader takes at most a given number of
// records per call and says whether it left some behind.
#ifndef O2C_BPF_LOADER_RING_READER_H_
#define O2C_BPF_LOADER_RING_READER_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

struct ring_buffer;

namespace o2c::bpf {

// What one ReadAtMost took.
struct RingBatch {
  int records = 0;    // records delivered
  bool more = false;  // it stopped at the limit: records are left
};

// One ring buffer map, read through a callback set per call.
// Threading: one thread at a time (the callback slot is per reader).
// Lifetime: the map's fd must stay open while the reader lives.
class RingReader {
 public:
  using OnRecord = std::function<void(const void* data, size_t size)>;

  // A reader of the BPF_MAP_TYPE_RINGBUF map `map_fd`; `what` names it in
  // errors ("map 'events'").
  static absl::StatusOr<std::unique_ptr<RingReader>> Create(int map_fd, std::string what);
  ~RingReader();
  RingReader(const RingReader&) = delete;
  RingReader& operator=(const RingReader&) = delete;

  // Waits up to `timeout_ms` (0: not at all, -1: without limit) for records,
  // then delivers at most `max_records` (> 0) of them to `on_record`, in
  // order, during the call.
  absl::StatusOr<RingBatch> ReadAtMost(int timeout_ms, int max_records, const OnRecord& on_record);
  // Delivers at most `max_records` without waiting.
  absl::StatusOr<RingBatch> ConsumeAtMost(int max_records, const OnRecord& on_record);

  // Readable when records are pending: for the caller's own epoll loop.
  int epoll_fd() const;

 private:
  RingReader() = default;
  static int OnSample(void* ctx, void* data, size_t size);

  struct Deleter {
    void operator()(ring_buffer* ring) const;
  };
  std::unique_ptr<ring_buffer, Deleter> ring_;
  std::string what_;
  const OnRecord* on_record_ = nullptr;  // set during a call
  int budget_ = 0;
};

// Waits up to `timeout_ms` (0: not at all, -1: without limit) for `epoll_fd`
// to become readable (several readers' fds may be behind one epoll set).
absl::Status AwaitReadable(int epoll_fd, int timeout_ms);

}  // namespace o2c::bpf

#endif  // O2C_BPF_LOADER_RING_READER_H_
