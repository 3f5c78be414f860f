// A sink that sends RFC 5424 messages (syslog_format.h) to the local syslog daemon's Unix
// datagram socket (default /dev/log) or to a remote collector over UDP (RFC 5426).
//
// One datagram per event. Datagrams cannot be taken back, so a batch that fails half way has
// sent its first events although write() reports the batch failed. The socket is opened on
// first use and again after an error (a restarted syslog daemon makes a new /dev/log), so the
// sink recovers by itself; the Writer's policy decides about the events in between.
#pragma once

#include <cstdint>
#include <expected>
#include <memory>
#include <string>

#include "audit/sink.h"
#include "audit/syslog_format.h"

namespace audit {

struct SyslogSinkOptions {
  std::string socket_path = "/dev/log";  // used when host is empty
  std::string host;                      // UDP collector: name or address
  std::uint16_t port = 514;
  SyslogHeader header;  // hostname and procid are filled in by open() when empty
  std::size_t max_batch = 64;
};

// For the config (`syslog: { host: "collector:514" }`): "host:port" or "[v6addr]:port" into
// options.host / options.port; the port defaults to 514 when omitted.
std::expected<void, std::string> set_udp_target(SyslogSinkOptions& options, std::string_view host_port);

class SyslogSink final : public Sink {
 public:
  // Fills the header's hostname (gethostname) and procid (getpid); does not open the socket yet.
  static std::expected<std::unique_ptr<SyslogSink>, SinkError> open(SyslogSinkOptions options);

  ~SyslogSink() override;
  SyslogSink(const SyslogSink&) = delete;
  SyslogSink& operator=(const SyslogSink&) = delete;

  std::string name() const override;
  std::size_t max_batch() const override;
  std::expected<void, SinkError> write(std::span<const std::string> events) override;

 private:
  explicit SyslogSink(SyslogSinkOptions options) : options_(std::move(options)) {}
  std::expected<void, SinkError> connect_socket();
  SinkError error(int code, std::string_view what);

  SyslogSinkOptions options_;
  int fd_ = -1;
};

}  // namespace audit
