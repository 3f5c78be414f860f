// Temporary directories and small file helpers for integration tests.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

namespace testsupport {

// mkdtemp under /tmp (short paths: a unix socket path must fit in 107 bytes). Removed with its
// contents in the destructor, unless PGVEIL_TEST_KEEP is set in the environment (for debugging
// a failed run: the path is printed to stderr then).
class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "pgveil-test");
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string read_file(const std::string& path);  // throws std::runtime_error if unreadable
void write_file(const std::string& path, std::string_view content, mode_t mode = 0644);
std::string replace_all(std::string text, std::string_view from, std::string_view to);

}  // namespace testsupport
