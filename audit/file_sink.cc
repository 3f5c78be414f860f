#include "audit/file_sink.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <utility>

namespace audit {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kTailChunk = 64 * 1024;

bool is_rotated_name(const std::string& name, const std::string& base) {
  if (name.size() != base.size() + 13 || !name.starts_with(base) || name[base.size()] != '.') return false;
  return std::all_of(name.begin() + static_cast<std::ptrdiff_t>(base.size()) + 1, name.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

// pread until `len` bytes or EOF; -1 with errno on error.
ssize_t pread_full(int fd, char* buf, std::size_t len, off_t offset) {
  std::size_t done = 0;
  while (done < len) {
    const ssize_t n = ::pread(fd, buf + done, len - done, offset + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return static_cast<ssize_t>(done);
}

// The last line of a file whose byte at size-1 is '\n' (without that newline). errno on error.
std::expected<std::string, int> read_last_line(int fd, std::uint64_t size) {
  std::string tail;
  std::uint64_t end = size - 1;  // exclude the final newline
  while (true) {
    const std::uint64_t start = end > kTailChunk ? end - kTailChunk : 0;
    std::string chunk(end - start, '\0');
    if (pread_full(fd, chunk.data(), chunk.size(), static_cast<off_t>(start)) != static_cast<ssize_t>(chunk.size())) {
      return std::unexpected(errno != 0 ? errno : EIO);
    }
    tail.insert(0, chunk);
    if (const auto nl = chunk.rfind('\n'); nl != std::string::npos) return tail.substr(nl + 1);
    if (start == 0) return tail;
    end = start;
  }
}

// Where the last complete line ends: `size` if the file ends with '\n', else one past the last
// '\n' (0 if none).
std::expected<std::uint64_t, int> complete_size(int fd, std::uint64_t size) {
  std::uint64_t end = size;
  while (end > 0) {
    const std::uint64_t start = end > kTailChunk ? end - kTailChunk : 0;
    std::string chunk(end - start, '\0');
    if (pread_full(fd, chunk.data(), chunk.size(), static_cast<off_t>(start)) != static_cast<ssize_t>(chunk.size())) {
      return std::unexpected(errno != 0 ? errno : EIO);
    }
    if (const auto nl = chunk.rfind('\n'); nl != std::string::npos) return start + nl + 1;
    end = start;
  }
  return 0;
}

std::optional<std::string> read_first_line(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  return line;
}

int fsync_dir(const fs::path& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  const int rc = ::fsync(fd) == 0 ? 0 : errno;
  ::close(fd);
  return rc;
}

}  // namespace

FileSink::FileSink(FileSinkOptions options, ChainKey key) : options_(std::move(options)), key_(std::move(key)) {
  // {"seq":N,"prev":"<64>", ... ,"mac":"<64>"}\n around an event's members, and "prev_file" (a
  // rotated file's name, each character at worst six when escaped) on a file's first record.
  constexpr std::uint64_t kFraming = 192;
  framing_bound_ = kFraming + 16 + 6 * (options_.path.filename().string().size() + 13);
}

FileSink::~FileSink() {
  if (syncer_.joinable()) {
    {
      std::lock_guard lock(sync_mutex_);
      sync_stopping_ = true;
    }
    sync_cv_.notify_one();
    syncer_.join();
  }
  if (fd_ >= 0) {
    release_reserve();
    if (options_.fsync != FsyncMode::kNone) ::fsync(fd_);
    ::close(fd_);
  }
}

std::expected<std::unique_ptr<FileSink>, SinkError> FileSink::open(FileSinkOptions options, ChainKey key) {
  std::unique_ptr<FileSink> sink(new FileSink(std::move(options), std::move(key)));
  if (auto ok = sink->recover(); !ok) return std::unexpected(ok.error());
  if (sink->options_.fsync == FsyncMode::kBatch) sink->syncer_ = std::thread([s = sink.get()] { s->sync_loop(); });
  return sink;
}

// Closes the current descriptor (if any) and takes `fd`, under the lock the syncer fsyncs with,
// so it never fsyncs a closed (or reused) descriptor.
void FileSink::set_fd(int fd) {
  room_.store(0, std::memory_order_release);
  reserved_end_ = 0;  // not known for the new file: reserve_ahead() allocates from its end
  std::lock_guard lock(fd_mutex_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

void FileSink::reserve_ahead() {
  if (options_.fsync == FsyncMode::kAlways || !can_preallocate_ || fd_ < 0) return;
  if (reserved_end_ < size_ + kPreallocate / 2) {
    // Allocating blocks already allocated is a no-op, so a file preallocated before a crash or
    // restart costs nothing twice. KEEP_SIZE: the file's size, all readers see, stays its own.
    if (::fallocate(fd_, FALLOC_FL_KEEP_SIZE, static_cast<off_t>(size_), static_cast<off_t>(kPreallocate)) == 0) {
      reserved_end_ = size_ + kPreallocate;
    } else if (errno == EOPNOTSUPP || errno == ENOSYS) {
      can_preallocate_ = false;  // this file system cannot: every event waits for its write
    }  // ENOSPC (or EFBIG): keep what is left; the next write tries again
  }
  room_.store(reserved_end_ > size_ ? reserved_end_ - size_ : 0, std::memory_order_release);
}

void FileSink::release_reserve() {
  room_.store(0, std::memory_order_release);
  if (fd_ >= 0 && reserved_end_ > size_ && ::ftruncate(fd_, static_cast<off_t>(size_)) == 0) reserved_end_ = size_;
}

std::uint64_t FileSink::written_size_bound(std::size_t line_bytes) const { return line_bytes + framing_bound_; }

void FileSink::set_position(ChainPosition position) {
  position_ = std::move(position);
  prev_mac_ = mac_.hex(position_.last_line);
}

void FileSink::request_sync() {
  bool already;
  {
    std::lock_guard lock(sync_mutex_);
    already = std::exchange(sync_requested_, true);
  }
  // While a request is outstanding the syncer is waiting out its interval or about to fsync, and
  // will see this write too: waking it again would cost a thread switch per write for nothing.
  if (!already) sync_cv_.notify_one();
}

// One fsync at a time, at most one per kSyncInterval: the writes that land meanwhile are covered
// by the next one. An fsync flushes data pages synchronously, which costs CPU as well as time
// (the benchmark machine's disk: 1-3 ms each), so back-to-back fsyncs under load would take CPU
// from the sessions; the interval bounds what a host crash can lose to about 10 ms of events.
void FileSink::sync_loop() {
  constexpr auto kSyncInterval = std::chrono::milliseconds(10);
  auto last = std::chrono::steady_clock::time_point{};
  for (;;) {
    {
      std::unique_lock lock(sync_mutex_);
      sync_cv_.wait(lock, [this] { return sync_requested_ || sync_stopping_; });
      if (!sync_requested_) return;   // stopping; the destructor makes the final fsync
      sync_cv_.wait_until(lock, last + kSyncInterval, [this] { return sync_stopping_; });
      sync_requested_ = false;
    }
    last = std::chrono::steady_clock::now();
    std::lock_guard lock(fd_mutex_);
    if (fd_ < 0) continue;
    if (::fsync(fd_) == 0) {
      ++fsyncs_;
    } else {
      sync_error_.store(errno);
      room_.store(0, std::memory_order_release);  // the next write fails: acknowledge nothing more before it
    }
  }
}

std::string FileSink::name() const { return "file:" + options_.path.string(); }

std::size_t FileSink::max_batch() const {
  return options_.fsync == FsyncMode::kAlways ? 1 : std::max<std::size_t>(options_.max_batch, 1);
}

SinkError FileSink::os_error(int code, std::string_view what) const {
  return SinkError{code, fmt::format("audit file {}: {}: {}", options_.path.string(), what, std::strerror(code))};
}

std::vector<fs::path> FileSink::chain_files(const fs::path& path) {
  std::vector<fs::path> files;
  const std::string base = path.filename().string();
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (is_rotated_name(entry.path().filename().string(), base)) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());  // 12-digit first seq: name order is chain order
  if (fs::exists(path, ec)) files.push_back(path);
  return files;
}

std::expected<void, SinkError> FileSink::open_active() {
  const int fd = ::open(options_.path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return std::unexpected(os_error(errno, "open"));
  set_fd(fd);
  return {};
}

// Re-reads the tail of the active file (or of the newest rotated file) to learn where the chain
// stands. Run on open and after any failed write, since a failed write or fsync leaves the file's
// content uncertain.
std::expected<void, SinkError> FileSink::recover() {
  set_fd(-1);
  if (auto ok = open_active(); !ok) return ok;
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return std::unexpected(os_error(errno, "stat"));
  auto complete = complete_size(fd_, static_cast<std::uint64_t>(st.st_size));
  if (!complete) return std::unexpected(os_error(complete.error(), "read"));
  if (*complete != static_cast<std::uint64_t>(st.st_size) && ::ftruncate(fd_, static_cast<off_t>(*complete)) != 0) {
    return std::unexpected(os_error(errno, "cutting off a torn last line"));
  }
  size_ = *complete;
  file_first_seq_ = 0;
  file_started_.reset();
  pending_prev_file_.reset();

  auto chain_tail = [this](int fd, std::uint64_t size, const fs::path& file) -> std::expected<void, SinkError> {
    auto last = read_last_line(fd, size);
    if (!last) return std::unexpected(os_error(last.error(), "read"));
    const auto head = parse_record_head(*last);
    if (!head) {
      return std::unexpected(SinkError{0, fmt::format("audit file {}: the last line is not a chain record; run `pgveil "
                                                      "audit verify` on it and move it aside",
                                                      file.string())});
    }
    set_position(ChainPosition{head->seq, std::move(*last)});
    return {};
  };

  if (size_ > 0) {
    if (auto ok = chain_tail(fd_, size_, options_.path); !ok) return ok;
    const auto first = read_first_line(options_.path);
    const auto head = first ? parse_record_head(*first) : std::nullopt;
    file_first_seq_ = head ? head->seq : position_.last_seq;
    if (head && head->time) file_started_ = parse_time(*head->time);
    if (!file_started_) file_started_ = options_.now();
  } else {
    auto files = chain_files(options_.path);
    std::erase(files, options_.path);
    set_position(ChainPosition{});
    if (!files.empty()) {
      const fs::path& previous = files.back();
      const int fd = ::open(previous.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return std::unexpected(os_error(errno, "open " + previous.string()));
      struct stat pst {};
      std::expected<void, SinkError> ok;
      if (::fstat(fd, &pst) != 0 || pst.st_size == 0) {
        ok = std::unexpected(SinkError{0, fmt::format("audit file {} is empty or unreadable", previous.string())});
      } else {
        ok = chain_tail(fd, static_cast<std::uint64_t>(pst.st_size), previous);
      }
      ::close(fd);
      if (!ok) return ok;
      pending_prev_file_ = previous.filename().string();
    }
  }
  needs_recovery_ = false;
  reserve_ahead();
  return {};
}

bool FileSink::write_is_quick() const {
  return options_.fsync != FsyncMode::kAlways && !needs_recovery_ && sync_error_.load() == 0 &&
         !rotation_due(options_.now());
}

bool FileSink::rotation_due(TimePoint now) const {
  if (size_ == 0) return false;
  if (options_.rotate_size > 0 && size_ >= options_.rotate_size) return true;
  return options_.rotate_age.count() > 0 && file_started_ && now - *file_started_ >= options_.rotate_age;
}

std::expected<void, SinkError> FileSink::rotate() {
  // The renamed file must be complete on disk before the next file's first record points to it.
  release_reserve();
  if (::fsync(fd_) != 0) return std::unexpected(os_error(errno, "fsync before rotation"));
  ++fsyncs_;
  const fs::path rotated = options_.path.string() + fmt::format(".{:012}", file_first_seq_);
  std::error_code ec;
  if (fs::exists(rotated, ec)) return std::unexpected(SinkError{EEXIST, fmt::format("audit file {} already exists; cannot rotate", rotated.string())});
  if (::rename(options_.path.c_str(), rotated.c_str()) != 0) return std::unexpected(os_error(errno, "rename for rotation"));
  set_fd(-1);
  needs_recovery_ = true;  // until the new file is open
  const fs::path dir = options_.path.parent_path();
  if (const int rc = fsync_dir(dir); rc != 0) return std::unexpected(os_error(rc, "fsync of the directory"));
  if (auto ok = open_active(); !ok) return ok;
  size_ = 0;
  file_first_seq_ = 0;
  file_started_.reset();
  pending_prev_file_ = rotated.filename().string();
  if (const int rc = fsync_dir(dir); rc != 0) return std::unexpected(os_error(rc, "fsync of the directory"));
  needs_recovery_ = false;
  ++rotations_;
  reserve_ahead();  // before the batch that rotated it, which the old file's room was promised to
  return {};
}

std::expected<void, SinkError> FileSink::append(const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::unexpected(os_error(n < 0 ? errno : EIO, "write"));
    done += static_cast<std::size_t>(n);
  }
  if (options_.fsync == FsyncMode::kAlways) {
    if (::fsync(fd_) != 0) return std::unexpected(os_error(errno, "fsync"));
    ++fsyncs_;
  } else if (options_.fsync == FsyncMode::kBatch) {
    request_sync();
  }
  return {};
}

std::expected<void, SinkError> FileSink::write(std::span<const std::string> events) {
  if (events.empty()) return {};
  if (const int failed = sync_error_.exchange(0); failed != 0) {
    // What was acknowledged since the last good fsync may not be on disk, and the file's tail is
    // uncertain: refuse this batch (on_failure decides what the statement gets) and re-read it.
    needs_recovery_ = true;
    return std::unexpected(os_error(failed, "background fsync"));
  }
  if (needs_recovery_) {
    if (auto ok = recover(); !ok) return ok;
  }
  const TimePoint now = options_.now();
  if (rotation_due(now)) {
    if (auto ok = rotate(); !ok) return ok;
  }

  // The batch is built in a reused buffer; each record's MAC is taken as it is built, so the
  // next one's "prev" needs no second pass over the line.
  bytes_.clear();
  std::size_t last_start = 0;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const bool first_in_file = size_ == 0 && i == 0;
    last_start = bytes_.size();
    append_record(mac_, bytes_, position_.last_seq + 1 + i, i == 0 ? prev_mac_ : next_prev_, events[i],
                  first_in_file ? pending_prev_file_ : std::nullopt, next_prev_);
    bytes_ += '\n';
  }
  const std::string& bytes = bytes_;
  if (auto ok = append(bytes); !ok) {
    // All or nothing: cut off whatever part of the batch reached the file. If even that fails,
    // the next write re-reads the file's tail before appending (recover()).
    if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0) needs_recovery_ = true;
    reserved_end_ = 0;  // the truncation gave the preallocated blocks back too
    room_.store(0, std::memory_order_release);
    return ok;
  }
  if (file_first_seq_ == 0) {
    file_first_seq_ = position_.last_seq + 1;
    file_started_ = now;
  }
  size_ += bytes.size();
  position_.last_seq += events.size();
  position_.last_line.assign(bytes, last_start, bytes.size() - last_start - 1);  // without its newline
  prev_mac_.swap(next_prev_);
  pending_prev_file_.reset();
  reserve_ahead();
  return {};
}

}  // namespace audit
