// Names of table columns by (table OID, attnum), for masking rules keyed on schema.table.column
// and for name rules that must see through aliases (PROTOCOL.md 20: RowDescription carries the
// origin table OID and attnum, not names).
//
// Loaded once per database with one query on a freshly logged-in upstream connection (before the
// client's first message, so the session's own state is untouched), shared by the sessions of
// that database and reloaded when older than kCatalogMaxAge. A column created after the load is
// unknown to the plan, which then fails closed (masking/plan.h).
#pragma once

#include <asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "masking/plan.h"
#include "proxy/wire/row_messages.h"

namespace proxy {

class Stream;

inline constexpr std::chrono::seconds kCatalogMaxAge{60};

class ColumnCatalog {
 public:
  // Adds one row of kCatalogQuery's result (oid, attnum, schema, table, column).
  std::expected<void, std::string> add_row(const pgwire::DataRow& row);
  std::optional<masking::ColumnIdentity> find(std::uint32_t table_oid, std::int16_t attnum) const;
  std::size_t size() const { return columns_.size(); }

 private:
  static std::uint64_t key(std::uint32_t oid, std::int16_t attnum) {
    return (std::uint64_t{oid} << 16) | static_cast<std::uint16_t>(attnum);
  }
  std::unordered_map<std::uint64_t, masking::ColumnIdentity> columns_;
};

// Every user column of tables, views, materialized views and foreign tables.
extern const std::string_view kCatalogQuery;

// Runs kCatalogQuery on `upstream`, which must be idle at ReadyForQuery; leaves it idle again.
asio::awaitable<std::expected<std::shared_ptr<const ColumnCatalog>, std::string>> load_column_catalog(
    Stream& upstream, std::uint32_t max_message);

// Catalogs by database name, shared by all worker threads.
class CatalogCache {
 public:
  std::shared_ptr<const ColumnCatalog> fresh(const std::string& database, std::chrono::steady_clock::time_point now) const;
  void store(const std::string& database, std::shared_ptr<const ColumnCatalog> catalog,
             std::chrono::steady_clock::time_point now);

 private:
  struct Entry {
    std::shared_ptr<const ColumnCatalog> catalog;
    std::chrono::steady_clock::time_point loaded;
  };
  mutable std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace proxy
