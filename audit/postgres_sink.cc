#include "audit/postgres_sink.h"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <optional>
#include <vector>

namespace audit {
namespace {

bool valid_identifier(std::string_view part) {
  if (part.empty() || part.size() > 63) return false;
  const auto word = [](char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!word(part.front())) return false;
  return std::all_of(part.begin(), part.end(), [&](char c) { return word(c) || (c >= '0' && c <= '9'); });
}

// "schema.name" or "name" -> quoted identifiers; nullopt when not plain identifiers (the name is
// spliced into SQL, so nothing else is accepted).
std::optional<std::string> quote_table(std::string_view table) {
  std::string quoted;
  std::size_t start = 0;
  int parts = 0;
  while (true) {
    const auto dot = table.find('.', start);
    const auto part = table.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!valid_identifier(part) || ++parts > 2) return std::nullopt;
    if (!quoted.empty()) quoted += '.';
    quoted += fmt::format("\"{}\"", part);
    if (dot == std::string_view::npos) return quoted;
    start = dot + 1;
  }
}

std::string trimmed(const char* message) {
  std::string text = message != nullptr ? message : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}

// Columns the reader filters on are copied out of the event by the server; the event itself is
// kept whole in `event`. ORDER BY n keeps `seq` in the batch's order.
std::string make_insert_sql(const std::string& quoted_table) {
  return fmt::format(
      "INSERT INTO {} (time, type, session, person, grant_id, role, database, kind, sqlstate, event) "
      "SELECT (e->>'time')::timestamptz, e->>'type', (e->>'session')::bigint, e->>'person', "
      "(e->>'grant')::bigint, e->>'role', e->>'database', coalesce(e->>'kind', e->'statement'->>'kind'), "
      "e->>'sqlstate', e FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS batch(e, n) ORDER BY n",
      quoted_table);
}

}  // namespace

std::string PostgresSink::create_table_sql(const std::string& quoted_table) {
  // Index names are derived from the unquoted last part; they live in the table's schema.
  const auto dot = quoted_table.rfind("\".\"");
  std::string base = quoted_table.substr(dot == std::string::npos ? 0 : dot + 2);
  base = base.substr(1, base.size() - 2);  // unquote: names were checked to hold no quotes
  return fmt::format(
      "CREATE TABLE IF NOT EXISTS {0} (\n"
      "  seq         bigserial PRIMARY KEY,\n"
      "  time        timestamptz NOT NULL,\n"
      "  type        text NOT NULL,\n"
      "  session     bigint,\n"
      "  person      text,\n"
      "  grant_id    bigint,\n"
      "  role        text,\n"
      "  database    text,\n"
      "  kind        text,\n"
      "  sqlstate    text,\n"
      "  event       jsonb NOT NULL,\n"
      "  recorded_at timestamptz NOT NULL DEFAULT now()\n"
      ");\n"
      "CREATE INDEX IF NOT EXISTS \"{1}_time_idx\" ON {0} (time);\n"
      "CREATE INDEX IF NOT EXISTS \"{1}_person_idx\" ON {0} (person, time);\n"
      "CREATE INDEX IF NOT EXISTS \"{1}_grant_idx\" ON {0} (grant_id, time);\n",
      quoted_table, base);
}

std::expected<std::unique_ptr<PostgresSink>, SinkError> PostgresSink::open(PostgresSinkOptions options) {
  const auto quoted = quote_table(options.table);
  if (!quoted) {
    return std::unexpected(SinkError{0, fmt::format("audit postgres sink: table \"{}\" is not a name or schema.name "
                                                    "of letters, digits and _",
                                                    options.table)});
  }
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(options.dsn.c_str(), &error);
  if (parsed == nullptr) {
    // libpq's message names the syntax problem; the dsn itself may hold a password.
    auto message = fmt::format("audit postgres sink: invalid dsn: {}", trimmed(error != nullptr ? error : "out of memory"));
    PQfreemem(error);
    return std::unexpected(SinkError{0, std::move(message)});
  }
  std::string host = "local", dbname;
  for (auto* o = parsed; o->keyword != nullptr; ++o) {
    if (o->val == nullptr || *o->val == '\0') continue;
    if (std::string_view(o->keyword) == "host") host = o->val;
    if (std::string_view(o->keyword) == "dbname") dbname = o->val;
  }
  PQconninfoFree(parsed);
  auto label = fmt::format("postgres:{}/{}/{}", host, dbname, options.table);
  return std::unique_ptr<PostgresSink>(new PostgresSink(std::move(options), *quoted, std::move(label)));
}

PostgresSink::PostgresSink(PostgresSinkOptions options, std::string quoted_table, std::string label)
    : options_(std::move(options)),
      quoted_table_(std::move(quoted_table)),
      label_(std::move(label)),
      insert_sql_(make_insert_sql(quoted_table_)) {}

PostgresSink::~PostgresSink() { disconnect(); }

std::string PostgresSink::name() const { return label_; }

std::size_t PostgresSink::max_batch() const { return std::max<std::size_t>(options_.max_batch, 1); }

void PostgresSink::disconnect() {
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = nullptr;
}

SinkError PostgresSink::fail(std::string cause) {
  last_error_ = std::move(cause);
  if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_BAD) disconnect();
  if (conn_ == nullptr) {
    backoff_ = backoff_.count() == 0 ? options_.min_backoff : std::min(backoff_ * 2, options_.max_backoff);
    retry_at_ = options_.now() + backoff_;
  }
  return SinkError{0, fmt::format("audit sink {}: {}", label_, last_error_)};
}

std::expected<void, SinkError> PostgresSink::ensure_connected() {
  if (conn_ != nullptr) return {};
  const auto now = options_.now();
  if (now < retry_at_) {
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(retry_at_ - now);
    return std::unexpected(SinkError{
        0, fmt::format("audit sink {}: not connected ({}); next attempt in {} ms", label_, last_error_, wait.count())});
  }
  const auto timeout_s = std::to_string(std::max<long>(options_.timeout.count(), 1));
  const auto timeout_ms = std::to_string(std::max<long>(options_.timeout.count(), 1) * 1000);
  // synchronous_commit=on: an acknowledged batch must survive a server crash even where the
  // server's default is off. client_min_messages: the "already exists" notices of CREATE ... IF
  // NOT EXISTS are noise on pgveil's stderr.
  const auto server_options =
      "-c statement_timeout=" + timeout_ms + " -c synchronous_commit=on -c client_min_messages=warning";
  // Defaults first: the dsn (expanded from "dbname") overrides them.
  const char* keywords[] = {"connect_timeout", "tcp_user_timeout", "options", "application_name", "dbname", nullptr};
  const char* values[] = {timeout_s.c_str(), timeout_ms.c_str(), server_options.c_str(), "pgveil-audit",
                          options_.dsn.c_str(), nullptr};
  conn_ = PQconnectdbParams(keywords, values, 1);
  if (conn_ == nullptr) return std::unexpected(fail("connect: out of memory"));
  if (PQstatus(conn_) != CONNECTION_OK) {
    auto cause = "connect: " + trimmed(PQerrorMessage(conn_));
    disconnect();
    return std::unexpected(fail(std::move(cause)));
  }
  PGresult* created = PQexec(conn_, create_table_sql(quoted_table_).c_str());
  const bool ok = PQresultStatus(created) == PGRES_COMMAND_OK;
  auto cause = ok ? std::string() : "creating the table: " + trimmed(PQresultErrorMessage(created));
  PQclear(created);
  if (!ok) {
    disconnect();
    return std::unexpected(fail(std::move(cause)));
  }
  ++connects_;
  backoff_ = std::chrono::milliseconds{0};
  return {};
}

std::expected<void, SinkError> PostgresSink::write(std::span<const std::string> events) {
  if (events.empty()) return {};
  if (auto ok = ensure_connected(); !ok) return ok;
  std::string batch = "[";
  for (const auto& event : events) {
    if (batch.size() > 1) batch += ',';
    batch += event;
  }
  batch += ']';
  const char* params[] = {batch.c_str()};
  PGresult* result = PQexecParams(conn_, insert_sql_.c_str(), 1, nullptr, params, nullptr, nullptr, 0);
  const bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
  auto cause = ok ? std::string() : "insert: " + trimmed(PQresultErrorMessage(result));
  PQclear(result);
  if (!ok) {
    if (cause == "insert: ") cause += trimmed(PQerrorMessage(conn_));
    return std::unexpected(fail(std::move(cause)));
  }
  return {};
}

}  // namespace audit
