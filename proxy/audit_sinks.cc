#include "proxy/audit_sinks.h"

#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "audit/file_sink.h"
#include "audit/postgres_sink.h"
#include "audit/stream_sink.h"
#include "audit/syslog_sink.h"

namespace proxy {
namespace {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};

using SinkResult = std::expected<std::unique_ptr<audit::Sink>, std::string>;

SinkResult open_sink(const AuditSettings& settings, const AuditSink& sink) {
  return std::visit(
      Overloaded{
          [&](const AuditFileSink& file) -> SinkResult {
            audit::FileSinkOptions options;
            options.path = file.path;
            options.fsync = file.fsync;
            options.rotate_size = file.rotate_size;
            options.rotate_age = file.rotate_age;
            if (!settings.key) return std::unexpected(fmt::format("audit file {}: no audit.key configured", file.path));
            const bool buffered = options.fsync != audit::FsyncMode::kAlways;
            auto opened = audit::FileSink::open(std::move(options), *settings.key);
            if (!opened) return std::unexpected(opened.error().message);
            if (buffered && (*opened)->reserved_room() == 0) {
              spdlog::warn("audit file {}: no disk room could be preallocated (a file system without fallocate, or "
                           "less than {} MiB free): every statement waits for its record's write(2)",
                           file.path, audit::FileSink::kPreallocate >> 20);
            }
            return std::unique_ptr<audit::Sink>(std::move(*opened));
          },
          [](const AuditStdoutSink&) -> SinkResult {
            return std::unique_ptr<audit::Sink>(std::make_unique<audit::StreamSink>(STDOUT_FILENO, "stdout"));
          },
          [](const AuditPostgresSink& pg) -> SinkResult {
            auto opened = audit::PostgresSink::open({.dsn = pg.dsn, .table = pg.table});
            if (!opened) return std::unexpected(opened.error().message);
            return std::unique_ptr<audit::Sink>(std::move(*opened));
          },
          [](const AuditSyslogSink& sys) -> SinkResult {
            audit::SyslogSinkOptions options;
            options.socket_path = sys.socket;
            if (!sys.host.empty()) {
              if (auto ok = audit::set_udp_target(options, sys.host); !ok) return std::unexpected(ok.error());
            }
            options.header.facility = audit::syslog_facility(sys.facility).value_or(options.header.facility);
            options.header.app_name = sys.app_name;
            auto opened = audit::SyslogSink::open(std::move(options));
            if (!opened) return std::unexpected(opened.error().message);
            return std::unique_ptr<audit::Sink>(std::move(*opened));
          },
      },
      sink);
}

}  // namespace

std::expected<std::unique_ptr<audit::Writer>, std::string> open_audit_writer(const AuditSettings& settings) {
  if (!settings.enabled()) return nullptr;
  std::vector<std::unique_ptr<audit::Sink>> sinks;
  for (const auto& sink : settings.sinks) {
    auto opened = open_sink(settings, sink);
    if (!opened) return std::unexpected(fmt::format("audit: {}", opened.error()));
    sinks.push_back(std::move(*opened));
  }
  audit::WriterOptions options;
  options.on_failure = settings.on_failure;
  options.queue_capacity = settings.queue;
  return std::make_unique<audit::Writer>(std::move(sinks), options);
}

}  // namespace proxy
