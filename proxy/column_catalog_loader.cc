// Loading a ColumnCatalog from the upstream server: one simple Query with the catalog's
// statements, then each view's definition Parsed and Described (pipelined, one Sync each) so the
// server itself says which table column each view column shows (RowDescription's origins,
// PROTOCOL.md 20) — pg_depend only says which columns a view reads as a whole.
#include <charconv>
#include <functional>
#include <vector>

#include "proxy/catalog_values.h"
#include "proxy/column_catalog.h"
#include "proxy/message_reader.h"
#include "proxy/stream.h"
#include "proxy/wire/error.h"
#include "proxy/wire/frontend_messages.h"

namespace proxy {
namespace {

constexpr std::string_view kUserSchemas = "NOT IN ('pg_catalog', 'information_schema')";

std::string catalog_statements() {
  std::string sql(kCatalogQuery);
  sql += ";\n";
  // Columns each view's rewrite rule reads (not its own).
  sql += "SELECT DISTINCT r.ev_class, d.refobjid, d.refobjsubid FROM pg_catalog.pg_rewrite r "
         "JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid = r.oid "
         "WHERE d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjsubid > 0 "
         "AND d.refobjid <> r.ev_class;\n";
  // Views that call user-defined functions.
  sql += "SELECT DISTINCT r.ev_class FROM pg_catalog.pg_rewrite r "
         "JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid = r.oid "
         "JOIN pg_catalog.pg_proc p ON d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND p.oid = d.refobjid "
         "JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname ";
  sql += kUserSchemas;
  // Every function and operator name: whether a user defined one (operators of extensions are
  // theirs, as built-in as pg_catalog's), whether one is volatile; a name missing here was
  // created after the load.
  sql += ";\nSELECT p.proname, pg_catalog.bool_or(n.nspname ";
  sql += kUserSchemas;
  sql += "), pg_catalog.bool_or(p.provolatile = 'v') FROM pg_catalog.pg_proc p "
         "JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace GROUP BY 1 UNION ALL "
         "SELECT o.oprname, pg_catalog.bool_or(n.nspname ";
  sql += kUserSchemas;
  sql += " AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.classid = "
         "'pg_catalog.pg_operator'::pg_catalog.regclass AND d.objid = o.oid AND d.deptype = 'e')), "
         "pg_catalog.bool_or(p.provolatile IS DISTINCT FROM 'i' AND p.provolatile IS DISTINCT FROM 's') "
         "FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace "
         "LEFT JOIN pg_catalog.pg_proc p ON p.oid = o.oprcode GROUP BY 1";
  sql += ";\nSELECT c.oid, pg_catalog.pg_get_viewdef(c.oid) FROM pg_catalog.pg_class c "
         "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('v', 'm') AND n.nspname ";
  sql += kUserSchemas;
  return sql;
}

using catalog_values::number;

using Result = std::expected<std::shared_ptr<const ColumnCatalog>, std::string>;

// Reads answers up to `syncs` ReadyForQuery messages; calls on_frame for every other message.
asio::awaitable<std::string> read_until_ready(MessageReader& reader, int syncs,
                                              const std::function<void(const pgwire::Frame&)>& on_frame) {
  std::string failure;
  while (syncs > 0) {
    auto frame = co_await reader.next();
    if (!frame) co_return "upstream closed while reading the column catalog: " + frame.error().message;
    if (frame->type == 'Z') {
      --syncs;
      continue;
    }
    on_frame(*frame);
  }
  if (reader.has_unread()) co_return "upstream sent more than the catalog queries' answers";
  co_return failure;
}

}  // namespace

asio::awaitable<Result> load_column_catalog(Stream& upstream, std::uint32_t max_message) {
  std::string out;
  pgwire::encode_query(out, catalog_statements());
  if (auto ec = co_await upstream.write_all(out)) co_return Result(std::unexpect, ec.message());
  auto catalog = std::make_shared<ColumnCatalog>();
  MessageReader reader(upstream, max_message);
  std::string failure;
  int statement = 0;   // which of catalog_statements() the rows belong to
  std::vector<std::pair<std::uint32_t, std::string>> definitions;
  auto on_first = [&](const pgwire::Frame& frame) {
    if (frame.type == 'C') ++statement;
    if (frame.type == 'E') {
      auto fields = pgwire::parse_error_fields(frame.body);
      failure = fields ? fields->sqlstate + " " + fields->message : "an unreadable ErrorResponse";
    }
    if (frame.type != 'D' || !failure.empty()) return;
    auto row = pgwire::parse_data_row(frame.body);
    if (!row) {
      failure = row.error().message;
      return;
    }
    const std::vector<pgwire::Value> v(row->values.begin(), row->values.end());
    if (statement == 0) {
      if (auto added = catalog->add_row(*row); !added) failure = added.error();
    } else if (statement == 1 && v.size() == 3) {
      const auto view = number<std::uint32_t>(v[0]), oid = number<std::uint32_t>(v[1]);
      const auto attnum = number<std::int16_t>(v[2]);
      if (view && oid && attnum) catalog->add_view_read(*view, *oid, *attnum);
    } else if (statement == 2 && v.size() == 1) {
      if (const auto view = number<std::uint32_t>(v[0])) catalog->add_view_function(*view);
    } else if (statement == 3 && v.size() == 3 && v[0]) {
      const auto yes = [](const pgwire::Value& b) { return b && pgwire::as_chars(*b) == "t"; };
      catalog->add_function(std::string(pgwire::as_chars(*v[0])), yes(v[1]), yes(v[2]));
    } else if (statement == 4 && v.size() == 2 && v[1]) {
      if (const auto view = number<std::uint32_t>(v[0])) definitions.emplace_back(*view, pgwire::as_chars(*v[1]));
    }
  };
  if (auto e = co_await read_until_ready(reader, 1, on_first); !e.empty()) co_return Result(std::unexpect, e);
  if (!failure.empty()) co_return Result(std::unexpect, failure);

  if (!definitions.empty()) {
    out.clear();
    for (const auto& [view, sql] : definitions) {
      pgwire::encode_parse(out, "", sql);
      pgwire::encode_describe(out, 'S', "");
      pgwire::encode_sync(out);
    }
    if (auto ec = co_await upstream.write_all(out)) co_return Result(std::unexpect, ec.message());
    std::size_t index = 0;   // the view whose answers arrive; a failed Parse leaves it computed
    auto on_describe = [&](const pgwire::Frame& frame) {
      if (index >= definitions.size()) return;
      if (frame.type == 'T') {
        if (auto description = pgwire::parse_row_description(frame.body)) {
          std::int16_t attnum = 0;
          for (const auto& field : *description) {
            catalog->add_view_origin(definitions[index].first, ++attnum, field.table_oid, field.column_attnum);
          }
        }
      }
      if (frame.type == 'T' || frame.type == 'n' || frame.type == 'E') ++index;
    };
    const int syncs = static_cast<int>(definitions.size());
    if (auto e = co_await read_until_ready(reader, syncs, on_describe); !e.empty()) co_return Result(std::unexpect, e);
  }
  catalog->resolve_views();
  co_return std::shared_ptr<const ColumnCatalog>(std::move(catalog));
}

}  // namespace proxy
