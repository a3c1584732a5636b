#include "o2c/bpf/loader/ring_reader.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <sys/epoll.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "o2c/bpf/loader/program_loader.h"

namespace o2c::bpf {
namespace {

// A callback's "stop": libbpf has consumed the record that returned it and
// leaves the rest in the ring.
constexpr int kBudgetSpent = -ENOBUFS;

}  // namespace

void RingReader::Deleter::operator()(ring_buffer* ring) const { ring_buffer__free(ring); }

absl::StatusOr<std::unique_ptr<RingReader>> RingReader::Create(int map_fd, std::string what) {
  std::unique_ptr<RingReader> reader(new RingReader());
  reader->what_ = std::move(what);
  reader->ring_.reset(ring_buffer__new(map_fd, &RingReader::OnSample, reader.get(), nullptr));
  if (!reader->ring_) return LibbpfError(-errno, absl::StrCat(reader->what_, ": ring_buffer__new"));
  return reader;
}

RingReader::~RingReader() = default;

int RingReader::OnSample(void* ctx, void* data, size_t size) {
  auto* self = static_cast<RingReader*>(ctx);
  if (self->on_record_ != nullptr) (*self->on_record_)(data, size);
  return --self->budget_ > 0 ? 0 : kBudgetSpent;
}

absl::StatusOr<RingBatch> RingReader::ConsumeAtMost(int max_records, const OnRecord& on_record) {
  if (max_records <= 0) return absl::InvalidArgumentError("ConsumeAtMost: max_records <= 0");
  on_record_ = &on_record;
  budget_ = max_records;
  int n = ring_buffer__consume(ring_.get());
  on_record_ = nullptr;
  if (n == kBudgetSpent) return RingBatch{.records = max_records, .more = true};
  if (n < 0) return LibbpfError(n, absl::StrCat(what_, ": consume"));
  return RingBatch{.records = n, .more = false};
}

absl::StatusOr<RingBatch> RingReader::ReadAtMost(int timeout_ms, int max_records,
                                                 const OnRecord& on_record) {
  absl::Status waited = AwaitReadable(epoll_fd(), timeout_ms);
  if (!waited.ok()) return waited;
  return ConsumeAtMost(max_records, on_record);
}

int RingReader::epoll_fd() const { return ring_buffer__epoll_fd(ring_.get()); }

absl::Status AwaitReadable(int epoll_fd, int timeout_ms) {
  if (timeout_ms == 0) return absl::OkStatus();
  epoll_event ready[2];
  if (epoll_wait(epoll_fd, ready, 2, timeout_ms) < 0 && errno != EINTR) {
    return absl::ErrnoToStatus(errno, "ring buffers: epoll_wait");
  }
  return absl::OkStatus();
}

}  // namespace o2c::bpf
