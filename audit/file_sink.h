// JSON-lines file sink with a hash chain (chain.h), fsync modes and rotation (issue #5 point 3).
//
// Layout: records are appended to `path`; on rotation `path` is renamed to
// `path.<first seq of the file, 12 digits>` (so rotated files sort in chain order by name) and a
// new `path` is started whose first record chains to the last record of the renamed file and
// names it in "prev_file". On open, the chain continues from the last record of `path`, or of the
// newest rotated file when `path` is missing or empty: restarts do not break the chain.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "audit/chain.h"
#include "audit/sink.h"
#include "audit/time_format.h"

namespace audit {

enum class FsyncMode {
  kAlways,  // fsync after every record: each event is durable before it is acknowledged
  // Acknowledged once queued in room preallocated on disk, or else after write(2) (writer.h,
  // buffered acknowledgement); a background thread fsyncs behind the writer, one fsync covering
  // every batch written since the previous one (group commit), so statements never wait for the
  // disk. At most one fsync per 10 ms. A pgveil crash can lose the events of the last
  // Writer::kLaterBound (5 ms); a host crash those written since the last fsync (about 10 ms
  // more). A failed background fsync fails the next write.
  kBatch,
  kNone,    // acknowledged as for batch, never fsynced: a host crash can lose what the OS holds
};

struct FileSinkOptions {
  std::filesystem::path path;
  FsyncMode fsync = FsyncMode::kBatch;
  // Rotation is checked before each batch, so a file may exceed rotate_size by one batch.
  std::uint64_t rotate_size = 0;  // bytes; 0: never by size
  std::chrono::seconds rotate_age{0};  // since the file's first record; 0: never by age
  std::size_t max_batch = 256;
  std::function<TimePoint()> now = [] { return Clock::now(); };  // injected for age tests
};

class FileSink final : public Sink {
 public:
  // Opens or creates the file (mode 0600) and finds where the chain stands. A torn last line
  // (no newline: a crash mid-write, never acknowledged) is cut off. Fails if the last record
  // cannot be read as a chain record: appending after it would hide the damage.
  static std::expected<std::unique_ptr<FileSink>, SinkError> open(FileSinkOptions options, ChainKey key);

  ~FileSink() override;
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;

  std::string name() const override;
  std::size_t max_batch() const override;
  std::expected<void, SinkError> write(std::span<const std::string> events) override;
  // write(2) only: fsync batch or none, healthy, no rotation due.
  bool write_is_quick() const override;
  // fsync batch or none: disk space preallocated past the end of the file (fallocate with
  // FALLOC_FL_KEEP_SIZE, so readers never see it) for records not yet written: kPreallocate
  // ahead, topped up on the writer thread; 0 where the file system cannot (then every event
  // waits for its write(2)) or when the disk is too full for it (then a statement that cannot
  // be recorded is refused before it runs, as ever). Released when the file is closed or
  // rotated.
  std::uint64_t reserved_room() const override { return room_.load(std::memory_order_acquire); }
  std::uint64_t written_size_bound(std::size_t line_bytes) const override;
  static constexpr std::uint64_t kPreallocate = 4 << 20;

  // For tests and metrics.
  const ChainPosition& position() const { return position_; }
  std::uint64_t fsync_count() const { return fsyncs_.load(); }
  std::uint64_t rotation_count() const { return rotations_; }

  // Rotated files of `path` in chain order, then `path` itself if it exists: what verify takes.
  static std::vector<std::filesystem::path> chain_files(const std::filesystem::path& path);

 private:
  FileSink(FileSinkOptions options, ChainKey key);
  std::expected<void, SinkError> recover();
  std::expected<void, SinkError> open_active();
  std::expected<void, SinkError> rotate();
  std::expected<void, SinkError> append(const std::string& bytes);
  SinkError os_error(int code, std::string_view what) const;
  bool rotation_due(TimePoint now) const;
  void set_fd(int fd);
  void set_position(ChainPosition position);
  void sync_loop();
  // Tops the preallocated room up to kPreallocate once it is below half of that; publishes it.
  void reserve_ahead();
  // Gives the blocks preallocated past the end of the file back (truncate to its size).
  void release_reserve();
  void request_sync();

  FileSinkOptions options_;
  ChainKey key_;
  ChainMac mac_{key_};
  std::string prev_mac_;  // MAC of position_.last_line: the next record's "prev"
  std::string bytes_, next_prev_;  // reused per write()
  int fd_ = -1;
  bool needs_recovery_ = true;  // re-read the file's tail before the next write
  std::uint64_t size_ = 0;
  std::uint64_t reserved_end_ = 0;      // the file's blocks are allocated up to here
  bool can_preallocate_ = true;         // false once the file system said EOPNOTSUPP
  std::atomic<std::uint64_t> room_{0};  // reserved_end_ - size_, for other threads
  std::uint64_t framing_bound_ = 0;     // written_size_bound() less the line
  std::uint64_t file_first_seq_ = 0;  // seq of the active file's first record, 0 while empty
  std::optional<TimePoint> file_started_;
  std::optional<std::string> pending_prev_file_;  // set until the new file's first record is written
  ChainPosition position_;
  std::atomic<std::uint64_t> fsyncs_{0};
  std::uint64_t rotations_ = 0;

  // fsync: batch. The writer thread alone changes fd_, under fd_mutex_, which the syncer holds
  // while it fsyncs; sync_mutex_ (never held across I/O) guards the request flags.
  std::mutex fd_mutex_;
  std::mutex sync_mutex_;
  std::condition_variable sync_cv_;
  bool sync_requested_ = false, sync_stopping_ = false;
  std::atomic<int> sync_error_{0};  // errno of a failed background fsync, reported by write()
  std::thread syncer_;
};

}  // namespace audit
