// JSON-lines file sink with a hash chain (chain.h), fsync modes and rotation (issue #5 point 3).
//
// Layout: records are appended to `path`; on rotation `path` is renamed to
// `path.<first seq of the file, 12 digits>` (so rotated files sort in chain order by name) and a
// new `path` is started whose first record chains to the last record of the renamed file and
// names it in "prev_file". On open, the chain continues from the last record of `path`, or of the
// newest rotated file when `path` is missing or empty: restarts do not break the chain.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "audit/chain.h"
#include "audit/sink.h"
#include "audit/time_format.h"

namespace audit {

enum class FsyncMode {
  kAlways,  // fsync after every record: each event is durable before it is acknowledged
  kBatch,   // group commit: one fsync per batch of queued events, acknowledged after it
  kNone,    // acknowledged after write(2): survives a pgveil crash, not a host crash
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

  // For tests and metrics.
  const ChainPosition& position() const { return position_; }
  std::uint64_t fsync_count() const { return fsyncs_; }
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

  FileSinkOptions options_;
  ChainKey key_;
  int fd_ = -1;
  bool needs_recovery_ = true;  // re-read the file's tail before the next write
  std::uint64_t size_ = 0;
  std::uint64_t file_first_seq_ = 0;  // seq of the active file's first record, 0 while empty
  std::optional<TimePoint> file_started_;
  std::optional<std::string> pending_prev_file_;  // set until the new file's first record is written
  ChainPosition position_;
  std::uint64_t fsyncs_ = 0, rotations_ = 0;
};

}  // namespace audit
