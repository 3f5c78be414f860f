// audit: { sinks, key, on_failure, queue, statements } (audit_config.h).
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "audit/postgres_sink.h"
#include "audit/syslog_sink.h"
#include "proxy/config/sections.h"

namespace proxy {

bool AuditSettings::same_writer(const AuditSettings& other) const {
  // The key is compared by what it does, so a rewritten key file counts as a change.
  const auto fingerprint = [](const std::shared_ptr<const audit::ChainKey>& key) {
    return key ? key->mac_hex("pgveil audit key check") : std::string();
  };
  return sinks == other.sinks && key_source == other.key_source && fingerprint(key) == fingerprint(other.key) &&
         on_failure == other.on_failure && queue == other.queue;
}

namespace config_detail {
namespace {

// The directory must exist and the file, if there, be writable: `check-config` then says what
// `serve` would fail on.
void check_writable(LoadContext& ctx, const Field& field, const std::string& path) {
  std::error_code ec;
  const std::filesystem::path p(path);
  const auto dir = p.has_parent_path() ? p.parent_path() : std::filesystem::path(".");
  if (!std::filesystem::is_directory(dir, ec)) {
    ctx.diag.error(field.key, fmt::format("{}: directory {} does not exist", field.path, dir.string()));
    return;
  }
  if (std::filesystem::is_directory(p, ec)) {
    ctx.diag.error(field.key, fmt::format("{}: {} is a directory; name a file", field.path, path));
    return;
  }
  const bool exists = std::filesystem::exists(p, ec);
  if (::access(exists ? path.c_str() : dir.c_str(), W_OK) != 0) {
    ctx.diag.error(field.key, fmt::format("{}: {} is not writable by this user", field.path,
                                          exists ? path : dir.string()));
  }
}

std::optional<AuditSink> read_file_sink(LoadContext& ctx, const Field& field) {
  MapFields m(ctx.diag, field, {"path", "fsync", "rotate"});
  if (!m.is_map()) return std::nullopt;
  AuditFileSink sink;
  if (const Field* f = m.find("fsync"))
    if (auto v = read_choice(ctx.diag, *f, {"always", "batch", "none"}))
      sink.fsync = *v == "always" ? audit::FsyncMode::kAlways
                   : *v == "none" ? audit::FsyncMode::kNone
                                  : audit::FsyncMode::kBatch;
  if (const Field* f = m.find("rotate")) {
    MapFields r(ctx.diag, *f, {"size", "age"});
    if (const Field* s = r.find("size"))
      if (auto v = read_size(ctx.diag, *s, 4u << 10, std::uint64_t{1} << 40)) sink.rotate_size = *v;
    if (const Field* a = r.find("age"))
      if (auto v = read_seconds(ctx.diag, *a, std::chrono::seconds{60})) sink.rotate_age = *v;
  }
  const Field* path = m.find("path");
  if (path == nullptr) {
    ctx.diag.error(field.key, fmt::format("{}: path is missing (the audit file to append to)", field.path));
    return std::nullopt;
  }
  auto resolved = read_path(ctx.diag, *path, ctx.base_dir);
  if (!resolved) return std::nullopt;
  sink.path = *resolved;
  check_writable(ctx, *path, sink.path);
  return sink;
}

std::optional<AuditSink> read_stdout_sink(LoadContext& ctx, const Field& field) {
  MapFields m(ctx.diag, field, {});   // no options yet: any key is reported
  if (!m.is_map()) return std::nullopt;
  return AuditStdoutSink{};
}

std::optional<AuditSink> read_postgres_sink(LoadContext& ctx, const Field& field) {
  MapFields m(ctx.diag, field, {"dsn", "table"});
  if (!m.is_map()) return std::nullopt;
  AuditPostgresSink sink;
  const Field* dsn = m.find("dsn");
  if (dsn == nullptr) {
    ctx.diag.error(field.key, fmt::format("{}: dsn is missing (e.g. dsn: \"host=audit-db dbname=audit\")", field.path));
    return std::nullopt;
  }
  if (auto v = read_string(ctx.diag, *dsn)) sink.dsn = *v;
  if (const Field* f = m.find("table"))
    if (auto v = read_string(ctx.diag, *f)) sink.table = *v;
  // The same checks serve opens without connecting (dsn syntax, table name).
  if (auto opened = audit::PostgresSink::open({.dsn = sink.dsn, .table = sink.table}); !opened) {
    ctx.diag.error(field.key, fmt::format("{}: {}", field.path, opened.error().message));
    return std::nullopt;
  }
  return sink;
}

std::optional<AuditSink> read_syslog_sink(LoadContext& ctx, const Field& field) {
  MapFields m(ctx.diag, field, {"socket", "host", "facility", "app_name"});
  if (!m.is_map()) return std::nullopt;
  AuditSyslogSink sink;
  const Field* socket = m.find("socket");
  const Field* host = m.find("host");
  if (socket != nullptr && host != nullptr) {
    ctx.diag.error(field.key, fmt::format("{}: give socket (Unix datagram) or host (UDP), not both", field.path));
    return std::nullopt;
  }
  if (socket != nullptr)
    if (auto v = read_string(ctx.diag, *socket)) sink.socket = *v;
  if (host != nullptr)
    if (auto v = read_string(ctx.diag, *host)) {
      audit::SyslogSinkOptions probe;
      if (auto ok = audit::set_udp_target(probe, *v); !ok) {
        ctx.diag.error(host->key, fmt::format("{}: {}", host->path, ok.error()));
        return std::nullopt;
      }
      sink.host = *v;
    }
  if (const Field* f = m.find("facility"))
    if (auto v = read_string(ctx.diag, *f)) {
      if (!audit::syslog_facility(*v)) {
        ctx.diag.error(f->key, fmt::format("{}: unknown facility '{}' (auth, authpriv, daemon, user, local0 … local7)",
                                           f->path, *v));
        return std::nullopt;
      }
      sink.facility = *v;
    }
  if (const Field* f = m.find("app_name"))
    if (auto v = read_string(ctx.diag, *f)) sink.app_name = *v;
  return sink;
}

struct SinkKind {
  std::string_view name;
  std::optional<AuditSink> (*read)(LoadContext&, const Field&);
};
constexpr SinkKind kSinkKinds[] = {
    {"file", read_file_sink},
    {"stdout", read_stdout_sink},
    {"postgres", read_postgres_sink},
    {"syslog", read_syslog_sink},
};

void read_sinks(LoadContext& ctx, const Field& field, AuditSettings& audit) {
  if (!field.value.IsSequence()) {
    ctx.diag.error(field.key, fmt::format("{}: expected a list (- file: {{ path: ... }})", field.path));
    return;
  }
  std::vector<std::string_view> kinds;
  for (const auto& kind : kSinkKinds) kinds.push_back(kind.name);
  for (std::size_t i = 0; i < field.value.size(); ++i) {
    const YAML::Node item = field.value[i];
    const Field entry{fmt::format("{}[{}]", field.path, i), item, item};
    MapFields m(ctx.diag, entry, kinds);
    if (!m.is_map()) continue;
    if (item.IsMap() && item.size() == 0) {
      ctx.diag.error(item, fmt::format("{}: empty entry (e.g. - file: {{ path: audit.jsonl }})", entry.path));
      continue;
    }
    if (m.fields().size() > 1) {
      ctx.diag.error(item, fmt::format("{}: one sink per entry: a single key among {}", entry.path,
                                       list_names({kinds.begin(), kinds.end()})));
      continue;
    }
    if (m.fields().empty()) continue;   // an unknown kind, already reported
    const Field& sink = m.fields().front();
    for (const auto& kind : kSinkKinds) {
      if (kind.name != sink.key.Scalar()) continue;
      if (auto read = kind.read(ctx, sink)) audit.sinks.push_back(std::move(*read));
    }
  }
  if (field.value.size() == 0) ctx.diag.error(field.key, fmt::format("{}: empty (remove audit: to turn audit off)", field.path));
}

void read_key(LoadContext& ctx, const Field& field, AuditSettings& audit) {
  MapFields m(ctx.diag, field, {"file", "env"});
  if (!m.is_map()) return;
  const Field* file = m.find("file");
  const Field* env = m.find("env");
  if ((file == nullptr) == (env == nullptr)) {
    ctx.diag.error(field.key, fmt::format("{}: give exactly one of file or env", field.path));
    return;
  }
  std::expected<audit::ChainKey, std::string> key = std::unexpected(std::string());
  if (file != nullptr) {
    auto path = read_path(ctx.diag, *file, ctx.base_dir);
    if (!path) return;
    audit.key_source = "file " + *path;
    key = audit::ChainKey::from_file(*path);
  } else {
    auto name = read_string(ctx.diag, *env);
    if (!name) return;
    audit.key_source = "env " + *name;
    auto value = lookup_env(ctx, *name);
    if (!value) {
      ctx.diag.error(env->key, fmt::format("{}: environment variable {} is not set", env->path, *name));
      return;
    }
    key = audit::ChainKey::from_bytes(std::move(*value));
    if (!key) key = std::unexpected(fmt::format("variable {}: {}", *name, key.error()));
  }
  if (!key) {
    ctx.diag.error(field.key, fmt::format("{}: {}", field.path, key.error()));
    return;
  }
  audit.key = std::make_shared<const audit::ChainKey>(std::move(*key));
}

}  // namespace

void read_audit(LoadContext& ctx, const Field& field, Config& config) {
  AuditSettings& audit = config.audit;
  MapFields m(ctx.diag, field, {"sinks", "key", "on_failure", "queue", "statements"});
  if (!m.is_map() || m.fields().empty()) return;   // audit: {} = off
  const Field* sinks = m.find("sinks");
  if (sinks == nullptr) {
    ctx.diag.error(field.key, "audit: sinks is missing (e.g. sinks: [ { file: { path: audit.jsonl } } ])");
    return;
  }
  read_sinks(ctx, *sinks, audit);
  if (const Field* f = m.find("key")) read_key(ctx, *f, audit);
  const bool chained = std::ranges::any_of(audit.sinks, [](const AuditSink& s) {
    return std::holds_alternative<AuditFileSink>(s);
  });
  if (chained && m.find("key") == nullptr)
    ctx.diag.error(field.key, "audit: key is missing: a file sink chains its records with an HMAC key "
                              "(key: { file: PATH } or { env: NAME }, at least 16 bytes, e.g. openssl rand -hex 32)");
  if (const Field* f = m.find("on_failure"))
    if (auto v = read_choice(ctx.diag, *f, {"block", "continue"}))
      audit.on_failure = *v == "continue" ? audit::FailurePolicy::kContinue : audit::FailurePolicy::kBlock;
  if (const Field* f = m.find("queue"))
    if (auto v = read_integer(ctx.diag, *f, 1, 10'000'000)) audit.queue = static_cast<std::size_t>(*v);
  if (const Field* f = m.find("statements"))
    if (auto v = read_choice(ctx.diag, *f, {"normalized", "raw"}))
      audit.statements = *v == "raw" ? audit::TextMode::kRaw : audit::TextMode::kNormalized;
}

}  // namespace config_detail
}  // namespace proxy
