#include "audit/log_follower.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "audit/file_sink.h"

namespace audit {
namespace {

constexpr std::size_t kChunk = 64 * 1024;

}  // namespace

LogFollower::LogFollower(std::filesystem::path path, bool from_start) : path_(std::move(path)), from_start_(from_start) {}

LogFollower::~LogFollower() {
  if (fd_ >= 0) ::close(fd_);
}

// true when a file is open afterwards; false when `path` does not exist (yet).
std::expected<bool, std::string> LogFollower::open_file(const std::filesystem::path& file, bool at_end) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return false;
    return std::unexpected(fmt::format("{}: {}", file.string(), std::strerror(errno)));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int code = errno;
    ::close(fd);
    return std::unexpected(fmt::format("{}: {}", file.string(), std::strerror(code)));
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  dev_ = st.st_dev;
  ino_ = st.st_ino;
  offset_ = 0;
  partial_.clear();
  skip_to_newline_ = false;
  if (at_end && st.st_size > 0) {
    offset_ = static_cast<std::uint64_t>(st.st_size);
    char last = '\n';
    if (::pread(fd_, &last, 1, static_cast<off_t>(offset_ - 1)) == 1 && last != '\n') skip_to_newline_ = true;
  }
  return true;
}

// Called at the end of the open file: true when `path` now names another file (rotation) and
// the follower moved on to the file that came after the one it was reading. That is the next
// rotated file when the sink rotated more than once since the last poll, else `path` itself.
std::expected<bool, std::string> LogFollower::switch_if_rotated() {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) return false;  // between rename and create: keep reading the old one
  if (st.st_dev == dev_ && st.st_ino == ino_) {
    if (static_cast<std::uint64_t>(st.st_size) < offset_) {  // truncated in place: start over
      offset_ = 0;
      partial_.clear();
    }
    return false;
  }
  const auto files = FileSink::chain_files(path_);
  std::filesystem::path next = path_;
  for (std::size_t i = 0; i + 1 < files.size(); ++i) {
    struct stat fst {};
    if (::stat(files[i].c_str(), &fst) == 0 && fst.st_dev == dev_ && fst.st_ino == ino_) {
      next = files[i + 1];
      break;
    }
  }
  // A torn last line of the old file was never acknowledged (FileSink cuts it off on restart).
  auto opened = open_file(next, false);
  if (!opened) return std::unexpected(opened.error());
  if (*opened) ++rotations_;
  return *opened;
}

void LogFollower::split(std::string_view bytes, std::vector<std::string>& lines) {
  std::size_t start = 0;
  while (true) {
    const auto nl = bytes.find('\n', start);
    if (nl == std::string_view::npos) break;
    partial_.append(bytes.substr(start, nl - start));
    if (!skip_to_newline_) lines.push_back(std::move(partial_));
    skip_to_newline_ = false;
    partial_.clear();
    start = nl + 1;
  }
  partial_.append(bytes.substr(start));
}

std::expected<std::vector<std::string>, std::string> LogFollower::poll(std::size_t max_bytes) {
  std::vector<std::string> lines;
  if (fd_ < 0) {
    auto opened = open_file(path_, !from_start_);
    if (!opened) return std::unexpected(opened.error());
    if (!*opened) return lines;
    from_start_ = true;  // a file that appears later is read from its start
  }
  std::size_t budget = max_bytes;
  std::string buffer(kChunk, '\0');
  while (budget > 0) {
    const ssize_t n = ::pread(fd_, buffer.data(), std::min(kChunk, budget), static_cast<off_t>(offset_));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected(fmt::format("{}: read: {}", path_.string(), std::strerror(errno)));
    if (n == 0) {
      auto switched = switch_if_rotated();
      if (!switched) return std::unexpected(switched.error());
      if (!*switched) break;
      continue;
    }
    offset_ += static_cast<std::uint64_t>(n);
    budget -= static_cast<std::size_t>(n);
    split(std::string_view(buffer.data(), static_cast<std::size_t>(n)), lines);
  }
  return lines;
}

}  // namespace audit
