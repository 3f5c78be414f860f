// Names of table columns by (table OID, attnum), for masking rules keyed on schema.table.column
// and for name rules that must see through aliases (PROTOCOL.md 20: RowDescription carries the
// origin table OID and attnum, not names), what each view column shows, and the names of
// user-defined functions (which may read masked columns out of the statement's sight).
//
// Loaded once per database on a freshly logged-in upstream connection (before the client's first
// message, so the session's own state is untouched), shared by the sessions of that database and
// reloaded when older than kCatalogMaxAge. A column created after the load is unknown to the
// plan, which then fails closed (masking/plan.h).
#pragma once

#include <asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "masking/plan.h"
#include "proxy/wire/row_messages.h"

namespace proxy {

class Stream;

inline constexpr std::chrono::seconds kCatalogMaxAge{60};

class ColumnCatalog {
 public:
  // Adds one row of kCatalogQuery's result (oid, attnum, schema, table, column, relkind, base
  // type OID, the declared type's names joined by \x1f, the ancestor tables as schema\x1etable
  // joined by \x1f).
  std::expected<void, std::string> add_row(const pgwire::DataRow& row);
  // A view reads column (oid, attnum) of another relation (kViewReadsQuery).
  void add_view_read(std::uint32_t view, std::uint32_t oid, std::int16_t attnum);
  void add_view_function(std::uint32_t view) { views_[view].calls_user_function = true; }
  // Output column `attnum` of view `view` is a plain reference to (oid, attnum) (0: computed).
  void add_view_origin(std::uint32_t view, std::int16_t attnum, std::uint32_t oid, std::int16_t origin_attnum);
  void add_user_function(std::string name) { user_functions_.insert(std::move(name)); }
  // A name of pg_proc or pg_operator (kFunctionsQuery): `user` when one of that name is defined
  // outside pg_catalog and information_schema (an operator: and not by an extension), `volatile_`
  // when one may change state (advisory locks, sequences, settings, large objects) or take time.
  void add_function(std::string name, bool user, bool volatile_);
  // Resolves every view column to what it shows. Call once after loading.
  void resolve_views();

  std::optional<masking::ColumnIdentity> find(std::uint32_t table_oid, std::int16_t attnum) const;
  // Every column of that name, in any table or view (resolved): what a name in SQL may read.
  std::vector<const masking::ColumnIdentity*> find_by_name(const std::string& column) const;
  bool is_user_function(const std::string& name) const { return user_functions_.contains(name); }
  // A function or operator name the catalog did not list was created after it was loaded, by
  // anyone: unknown code. True when no names were loaded at all (a catalog built by hand).
  bool is_known_function(const std::string& name) const {
    return known_functions_.empty() || known_functions_.contains(name);
  }
  bool is_volatile_function(const std::string& name) const { return volatile_functions_.contains(name); }
  std::size_t size() const { return columns_.size(); }
  std::vector<std::uint32_t> views() const;

 private:
  static std::uint64_t key(std::uint32_t oid, std::int16_t attnum) {
    return (std::uint64_t{oid} << 16) | static_cast<std::uint16_t>(attnum);
  }
  struct ViewInfo {
    std::vector<std::uint64_t> reads;                  // columns of other relations
    std::map<std::int16_t, std::uint64_t> origins;     // output attnum -> plain origin
    bool calls_user_function = false;
  };
  void base_reads(std::uint64_t column, int depth, std::vector<masking::ColumnIdentity>& out, bool& calls) const;
  std::optional<masking::ColumnIdentity> origin_of(std::uint64_t column, int depth) const;

  std::unordered_map<std::uint64_t, masking::ColumnIdentity> columns_;
  std::unordered_map<std::uint32_t, ViewInfo> views_;
  std::unordered_multimap<std::string, std::uint64_t> by_name_;
  std::set<std::string, std::less<>> user_functions_, known_functions_, volatile_functions_;
};

// Every user and system column of tables, views, materialized views and foreign tables.
extern const std::string_view kCatalogQuery;

// Runs the catalog queries on `upstream`, which must be idle at ReadyForQuery; leaves it idle.
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
