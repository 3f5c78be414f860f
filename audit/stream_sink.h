// A sink that writes plain event lines (no chain fields) to a file descriptor: stdout for
// containers that ship their output to a log collector (DESIGN.md: sinks "stdout").
#pragma once

#include <string>

#include "audit/sink.h"

namespace audit {

class StreamSink final : public Sink {
 public:
  // Does not own `fd`. `label` names it in errors and metrics ("stdout").
  StreamSink(int fd, std::string label) : fd_(fd), label_(std::move(label)) {}

  std::string name() const override { return label_; }
  std::size_t max_batch() const override { return 256; }
  // One write(2) per batch; a short write is continued, an error (EPIPE, ENOSPC) is returned. A
  // line may then be half written: consumers of a stream have no chain to check anyway.
  std::expected<void, SinkError> write(std::span<const std::string> events) override;

 private:
  int fd_;
  std::string label_;
};

}  // namespace audit
