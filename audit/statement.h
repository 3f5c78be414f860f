// What the audit log says about one SQL string: normalized text, fingerprint, kind, tables.
//
// DESIGN.md "No PII in the audit log": by default the text is stored normalized (constants as
// $n via pg_query_normalize, then scrubbed of comments and leftover constants, sql_scrub.h). A
// string that does not parse is recorded as kind "unparsed" with no text at all: a lexer error
// is the one place where we cannot tell a literal from the rest.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace audit {

// Whether the role lets the audit log keep the statement as sent (DESIGN.md: "unless the role
// says otherwise").
enum class TextMode { kNormalized, kRaw };

struct StatementInfo {
  // SELECT INSERT UPDATE DELETE MERGE COPY TRUNCATE DDL DCL TRANSACTION SET SHOW EXPLAIN PREPARE
  // EXECUTE DEALLOCATE CALL DO LOCK MAINTENANCE LISTEN OTHER; "MULTI" when a simple-query string
  // holds statements of several kinds (then `kinds` lists them in order); "EMPTY" for a string
  // with no statement; "unparsed" when it does not parse.
  std::string kind;
  std::vector<std::string> kinds;
  std::optional<std::string> normalized;   // absent when unparsed
  std::optional<std::string> fingerprint;  // pg_query_fingerprint, 16 hex digits
  // Relations as written in the query ("public.orders" or "orders"), sorted, without CTE names.
  // tables_written: targets of INSERT/UPDATE/DELETE/MERGE/COPY FROM/TRUNCATE; tables_read: the
  // rest.
  std::vector<std::string> tables_read;
  std::vector<std::string> tables_written;
  std::optional<std::string> text;  // the statement as sent; only with TextMode::kRaw

  bool parsed() const { return kind != "unparsed"; }
};

// Pure and thread-safe (libpg_query keeps its memory context per thread). Costs two parses and a
// scan (~10 µs for a small statement, DESIGN.md notes): callers should cache by prepared
// statement name or by text.
StatementInfo analyze_statement(std::string_view sql, TextMode mode = TextMode::kNormalized);

}  // namespace audit
