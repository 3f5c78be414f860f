#include "audit/stream_sink.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace audit {

std::expected<void, SinkError> StreamSink::write(std::span<const std::string> events) {
  std::string bytes;
  for (const auto& e : events) {
    bytes += e;
    bytes += '\n';
  }
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int code = n < 0 ? errno : EIO;
      return std::unexpected(SinkError{code, fmt::format("audit sink {}: write: {}", label_, std::strerror(code))});
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

}  // namespace audit
