#include "proxy/column_catalog.h"
#include "proxy/catalog_values.h"

#include <charconv>

#include <fmt/format.h>

namespace proxy {

const std::string_view kCatalogQuery =
    // Each type's base type (a domain's, through domains over domains) and the names on the way.
    "WITH RECURSIVE chain(oid, base, names) AS ("
    "SELECT t.oid, t.oid, ARRAY[t.typname::text] FROM pg_catalog.pg_type t WHERE t.typtype <> 'd' "
    "UNION ALL SELECT t.oid, c.base, t.typname::text || c.names FROM pg_catalog.pg_type t "
    "JOIN chain c ON c.oid = t.typbasetype WHERE t.typtype = 'd'), "
    // Every ancestor of a partition or inheritance child.
    "parents(child, parent) AS (SELECT i.inhrelid, i.inhparent FROM pg_catalog.pg_inherits i "
    "UNION SELECT p.child, i.inhparent FROM parents p JOIN pg_catalog.pg_inherits i ON i.inhrelid = p.parent) "
    "SELECT c.oid, a.attnum, n.nspname, c.relname, a.attname, c.relkind, ch.base, "
    "pg_catalog.array_to_string(ch.names, E'\\x1f'), "
    "(SELECT pg_catalog.string_agg(pn.nspname || E'\\x1e' || pc.relname, E'\\x1f') FROM parents p "
    "JOIN pg_catalog.pg_class pc ON pc.oid = p.parent JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace "
    "WHERE p.child = c.oid) "
    "FROM pg_catalog.pg_attribute a "
    "JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "LEFT JOIN chain ch ON ch.oid = a.atttypid "
    "WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f') "
    "AND n.nspname NOT LIKE 'pg\\_toast%'";

namespace {

// Views over views over views: deeper chains are treated as computed (fail closed).
constexpr int kMaxViewDepth = 16;

using catalog_values::number;

std::string text(const pgwire::Value& v) { return v ? std::string(pgwire::as_chars(*v)) : std::string(); }

// "a\x1fb" -> {"a", "b"}; "" -> {}.
std::vector<std::string> split(const std::string& joined, char separator) {
  std::vector<std::string> out;
  for (std::size_t start = 0; start < joined.size();) {
    const std::size_t end = std::min(joined.find(separator, start), joined.size());
    out.push_back(joined.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// The names of a table column, without what a view column carries.
masking::ColumnIdentity names_of(const masking::ColumnIdentity& id) {
  masking::ColumnIdentity out;
  out.schema = id.schema;
  out.table = id.table;
  out.column = id.column;
  out.type = id.type;
  out.type_names = id.type_names;
  out.parents = id.parents;
  return out;
}

}  // namespace

std::expected<void, std::string> ColumnCatalog::add_row(const pgwire::DataRow& row) {
  if (row.size() != 9) return std::unexpected(fmt::format("catalog row has {} columns, expected 9", row.size()));
  auto it = row.values.begin();
  const auto oid = number<std::uint32_t>(*it++);
  const auto attnum = number<std::int16_t>(*it++);
  if (!oid || !attnum) return std::unexpected("catalog row with a malformed oid or attnum");
  masking::ColumnIdentity id;
  id.schema = text(*it++);
  id.table = text(*it++);
  id.column = text(*it++);
  const std::string kind = text(*it++);
  id.view = kind == "v" || kind == "m";
  id.type = number<std::uint32_t>(*it++).value_or(0);
  for (auto& name : split(text(*it++), '\x1f')) id.type_names.push_back(std::move(name));
  for (const auto& parent : split(text(*it++), '\x1f')) {
    const std::size_t mark = parent.find('\x1e');
    if (mark != std::string::npos) id.parents.emplace_back(parent.substr(0, mark), parent.substr(mark + 1));
  }
  if (id.view) views_.try_emplace(*oid);
  by_name_.emplace(id.column, key(*oid, *attnum));
  columns_[key(*oid, *attnum)] = std::move(id);
  return {};
}

void ColumnCatalog::add_view_read(std::uint32_t view, std::uint32_t oid, std::int16_t attnum) {
  views_[view].reads.push_back(key(oid, attnum));
}

void ColumnCatalog::add_view_origin(std::uint32_t view, std::int16_t attnum, std::uint32_t oid,
                                    std::int16_t origin_attnum) {
  if (oid != 0 && origin_attnum > 0) views_[view].origins[attnum] = key(oid, origin_attnum);
}

std::vector<std::uint32_t> ColumnCatalog::views() const {
  std::vector<std::uint32_t> out;
  for (const auto& [oid, info] : views_) out.push_back(oid);
  return out;
}

// What a plain reference to `column` shows: a table column, following views; nullopt when a view
// on the way computes it.
std::optional<masking::ColumnIdentity> ColumnCatalog::origin_of(std::uint64_t column, int depth) const {
  auto it = columns_.find(column);
  if (it == columns_.end() || depth > kMaxViewDepth) return std::nullopt;
  if (!it->second.view) return names_of(it->second);
  auto view = views_.find(static_cast<std::uint32_t>(column >> 16));
  if (view == views_.end()) return std::nullopt;
  auto origin = view->second.origins.find(static_cast<std::int16_t>(column & 0xffff));
  if (origin == view->second.origins.end()) return std::nullopt;
  return origin_of(origin->second, depth + 1);
}

// Every table column the relation of `column` may show through it (all of a view's reads).
void ColumnCatalog::base_reads(std::uint64_t column, int depth, std::vector<masking::ColumnIdentity>& out,
                               bool& calls) const {
  auto it = columns_.find(column);
  if (it == columns_.end()) return;
  if (!it->second.view) {
    out.push_back(names_of(it->second));
    return;
  }
  auto view = views_.find(static_cast<std::uint32_t>(column >> 16));
  if (view == views_.end()) return;
  if (depth > kMaxViewDepth) {
    calls = true;   // too deep to follow: unprovable
    return;
  }
  calls = calls || view->second.calls_user_function;
  for (const auto read : view->second.reads) base_reads(read, depth + 1, out, calls);
}

void ColumnCatalog::resolve_views() {
  for (auto& [column, id] : columns_) {
    if (!id.view) continue;
    if (auto origin = origin_of(column, 0)) {
      id.plain = true;
      id.reads = {std::move(*origin)};
      continue;
    }
    bool calls = false;
    const auto& info = views_[static_cast<std::uint32_t>(column >> 16)];
    calls = info.calls_user_function;
    for (const auto read : info.reads) base_reads(read, 1, id.reads, calls);
    id.calls_user_function = calls;
  }
}

std::optional<masking::ColumnIdentity> ColumnCatalog::find(std::uint32_t table_oid, std::int16_t attnum) const {
  auto it = columns_.find(key(table_oid, attnum));
  if (it == columns_.end()) return std::nullopt;
  return it->second;
}

std::vector<const masking::ColumnIdentity*> ColumnCatalog::find_by_name(const std::string& column) const {
  std::vector<const masking::ColumnIdentity*> out;
  const auto [first, last] = by_name_.equal_range(column);
  for (auto it = first; it != last; ++it) out.push_back(&columns_.at(it->second));
  return out;
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

void ColumnCatalog::add_function(std::string name, bool user, bool volatile_) {
  if (user) user_functions_.insert(name);
  if (volatile_) volatile_functions_.insert(name);
  known_functions_.insert(std::move(name));
}

}  // namespace proxy
