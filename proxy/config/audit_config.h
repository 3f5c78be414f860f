// The `audit:` section of pgveil.yaml (issue #5): where events go, the chain key, the failure
// policy and how statement text is kept.
//
// Reload (SIGHUP): `statements` (and each role's `audit_statements`) apply to the next statement
// of every session. `sinks`, `key`, `on_failure` and `queue` belong to the writer opened at start;
// a reload that changes them is refused (the old configuration stays) until pgveil restarts.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "audit/chain.h"
#include "audit/file_sink.h"
#include "audit/statement.h"
#include "audit/writer.h"

namespace proxy {

// sinks: - file: { path, fsync: always|batch|none, rotate: { size, age } }
struct AuditFileSink {
  std::string path;
  audit::FsyncMode fsync = audit::FsyncMode::kBatch;
  std::uint64_t rotate_size = 0;       // bytes; 0 = never
  std::chrono::seconds rotate_age{0};  // 0 = never
  bool operator==(const AuditFileSink&) const = default;
};

// sinks: - stdout: {}   (plain event lines, no chain fields)
struct AuditStdoutSink {
  bool operator==(const AuditStdoutSink&) const = default;
};

// sinks: - postgres: { dsn, table }   (a table in a PostgreSQL database, created when missing)
struct AuditPostgresSink {
  std::string dsn;                      // libpq connection string or URI; a password belongs in PGPASSFILE
  std::string table = "pgveil_audit";
  bool operator==(const AuditPostgresSink&) const = default;
};

// sinks: - syslog: { socket: /dev/log | host: collector:514, facility, app_name }   (RFC 5424)
struct AuditSyslogSink {
  std::string socket = "/dev/log";   // Unix datagram socket, when host is empty
  std::string host;                  // UDP "host:port"
  std::string facility = "authpriv";
  std::string app_name = "pgveil";
  bool operator==(const AuditSyslogSink&) const = default;
};

// One entry of audit.sinks. A new kind is an alternative here, a reader in the kSinkKinds table
// of audit_section.cc and a case in proxy/audit_sinks.cc.
using AuditSink = std::variant<AuditFileSink, AuditStdoutSink, AuditPostgresSink, AuditSyslogSink>;

struct AuditSettings {
  std::vector<AuditSink> sinks;  // empty: audit off
  std::string key_source;        // "file /path" or "env NAME" (never the key); empty: no key
  std::shared_ptr<const audit::ChainKey> key;
  audit::FailurePolicy on_failure = audit::FailurePolicy::kBlock;
  std::size_t queue = 10'000;  // events per sink
  audit::TextMode statements = audit::TextMode::kNormalized;

  bool enabled() const { return !sinks.empty(); }
  // Whether a writer opened for `other` serves these settings unchanged (what a reload may not
  // change: sinks, key, on_failure, queue).
  bool same_writer(const AuditSettings& other) const;
};

}  // namespace proxy
