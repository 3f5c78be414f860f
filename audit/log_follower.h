// Reads the lines appended to an audit file, following it across rotation (`pgveil audit tail
// -f`). FileSink rotates by renaming `path` to `path.<seq>` and creating a new `path`
// (file_sink.h); the follower notices the new inode, reads what is left of the old file (it
// holds it open), then continues at the start of the next file in chain order (a rotated one
// when the sink rotated more than once between polls), so no line is lost or repeated.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <expected>
#include <filesystem>
#include <string>
#include <vector>

namespace audit {

class LogFollower {
 public:
  // `from_start`: read the file's existing lines first; otherwise start at its end (at the next
  // line boundary). A missing file is waited for.
  LogFollower(std::filesystem::path path, bool from_start);
  ~LogFollower();
  LogFollower(const LogFollower&) = delete;
  LogFollower& operator=(const LogFollower&) = delete;

  // Complete lines (without newlines) that appeared since the last call, in order; reads at most
  // about `max_bytes` per call so memory stays bounded (call again: an empty result means the
  // follower has caught up). An error only when a file cannot be read.
  std::expected<std::vector<std::string>, std::string> poll(std::size_t max_bytes = 1 << 20);

  std::uint64_t rotations() const { return rotations_; }

 private:
  std::expected<bool, std::string> open_file(const std::filesystem::path& file, bool at_end);
  std::expected<bool, std::string> switch_if_rotated();
  void split(std::string_view bytes, std::vector<std::string>& lines);

  std::filesystem::path path_;
  bool from_start_;
  int fd_ = -1;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  std::uint64_t offset_ = 0;
  std::string partial_;        // bytes after the last newline read so far
  bool skip_to_newline_ = false;  // started at the end mid-line: drop up to the next newline
  std::uint64_t rotations_ = 0;
};

}  // namespace audit
