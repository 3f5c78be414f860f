#include "proxy/column_catalog.h"

#include <charconv>

#include <fmt/format.h>

#include "proxy/message_reader.h"
#include "proxy/stream.h"
#include "proxy/wire/error.h"
#include "proxy/wire/frontend_messages.h"

namespace proxy {

const std::string_view kCatalogQuery =
    "SELECT c.oid, a.attnum, n.nspname, c.relname, a.attname "
    "FROM pg_catalog.pg_attribute a "
    "JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f') "
    "AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'";

namespace {

template <class T>
std::optional<T> number(const pgwire::Value& v) {
  if (!v) return std::nullopt;
  const auto text = pgwire::as_chars(*v);
  T out{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return out;
}

std::string text(const pgwire::Value& v) { return v ? std::string(pgwire::as_chars(*v)) : std::string(); }

}  // namespace

std::expected<void, std::string> ColumnCatalog::add_row(const pgwire::DataRow& row) {
  if (row.size() != 5) return std::unexpected(fmt::format("catalog row has {} columns, expected 5", row.size()));
  auto it = row.values.begin();
  const auto oid = number<std::uint32_t>(*it++);
  const auto attnum = number<std::int16_t>(*it++);
  if (!oid || !attnum) return std::unexpected("catalog row with a malformed oid or attnum");
  masking::ColumnIdentity id;
  id.schema = text(*it++);
  id.table = text(*it++);
  id.column = text(*it++);
  columns_[key(*oid, *attnum)] = std::move(id);
  return {};
}

std::optional<masking::ColumnIdentity> ColumnCatalog::find(std::uint32_t table_oid, std::int16_t attnum) const {
  auto it = columns_.find(key(table_oid, attnum));
  if (it == columns_.end()) return std::nullopt;
  return it->second;
}

asio::awaitable<std::expected<std::shared_ptr<const ColumnCatalog>, std::string>> load_column_catalog(
    Stream& upstream, std::uint32_t max_message) {
  using Result = std::expected<std::shared_ptr<const ColumnCatalog>, std::string>;
  std::string query;
  pgwire::encode_query(query, kCatalogQuery);
  if (auto ec = co_await upstream.write_all(query)) co_return Result(std::unexpect, ec.message());
  auto catalog = std::make_shared<ColumnCatalog>();
  std::string failure;
  MessageReader reader(upstream, max_message);
  for (;;) {
    auto frame = co_await reader.next();
    if (!frame) co_return Result(std::unexpect, "upstream closed while reading the column catalog: " + frame.error().message);
    switch (frame->type) {
      case 'D': {
        auto row = pgwire::parse_data_row(frame->body);
        if (!row) {
          failure = row.error().message;
        } else if (auto added = catalog->add_row(*row); !added && failure.empty()) {
          failure = added.error();
        }
        break;
      }
      case 'E': {
        auto fields = pgwire::parse_error_fields(frame->body);
        failure = fields ? fields->sqlstate + " " + fields->message : "an unreadable ErrorResponse";
        break;
      }
      case 'Z':
        if (reader.has_unread()) co_return Result(std::unexpect, "upstream sent more than the catalog query's answer");
        if (!failure.empty()) co_return Result(std::unexpect, failure);
        co_return std::shared_ptr<const ColumnCatalog>(std::move(catalog));
      default:
        break;   // RowDescription, CommandComplete, ParameterStatus, NoticeResponse
    }
  }
}

std::shared_ptr<const ColumnCatalog> CatalogCache::fresh(const std::string& database,
                                                         std::chrono::steady_clock::time_point now) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(database);
  if (it == entries_.end() || now - it->second.loaded > kCatalogMaxAge) return nullptr;
  return it->second.catalog;
}

void CatalogCache::store(const std::string& database, std::shared_ptr<const ColumnCatalog> catalog,
                         std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mutex_);
  entries_[database] = Entry{std::move(catalog), now};
}

}  // namespace proxy
