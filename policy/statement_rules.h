// Statement rules of a role (issue #3, item 6): which SQL a session may send, decided from
// PostgreSQL's own parse tree (libpg_query). Pure: no I/O, no catalog.
//
// read-only allows SELECT (without SELECT INTO, FOR UPDATE/SHARE or data-modifying WITH), EXPLAIN
// (ANALYZE only of what read-only allows, since it runs the statement), SHOW, SET/RESET of session
// settings (not role, session_authorization, READ WRITE or the other security_settings()),
// transaction control (not two-phase commit), cursors (DECLARE's query is checked), PREPARE (its
// query is checked)/EXECUTE/DEALLOCATE, DISCARD, LISTEN/UNLISTEN, COPY ... TO STDOUT; it refuses
// everything else, calls of default_denied_functions(), and any statement it cannot parse.
// `all` allows every statement, but may have its own deny list of functions.
//
// Limits (by design; see README "Statement rules"): names only, so a function called inside a
// view, an SQL function or a trigger is not seen, and a PREPAREd statement or a cursor keeps the
// verdict of the moment it was checked. The brokered login's own privileges stay the real
// boundary (examples/roles.sql); these rules are the second line.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace policy {

enum class StatementMode { kAll, kReadOnly };

// Function names as configured: "pg_read_file", or a prefix ending in '*' ("lo_*"). A call
// matches in any schema and whatever the case of the name.
bool function_matches(std::string_view pattern, std::string_view name);

struct StatementRules {
  StatementMode mode = StatementMode::kAll;
  // roles.<name>.deny_functions: refused on top of the defaults (read-only) or alone (all).
  std::vector<std::string> deny_functions;
  // roles.<name>.allow_functions: taken out of the deny lists (defaults included).
  std::vector<std::string> allow_functions;

  // Nothing is ever refused: a session under these rules need not parse its SQL at all.
  bool unrestricted() const { return mode == StatementMode::kAll && deny_functions.empty(); }
};

// What read-only refuses to call unless allow_functions lists it: server files, large-object
// writes, other sessions and the server (signals, reloads, replication), sequence writes, locks,
// NOTIFY, remote connections, and functions that run SQL given as a string.
std::span<const std::string_view> default_denied_functions();

// Settings read-only does not let SET or set_config() change (GUC names, lower case; "pgaudit.*"
// is a prefix). transaction_read_only and default_transaction_read_only may still be set to on.
std::span<const std::string_view> security_settings();

struct StatementRefusal {
  enum class Rule {
    kReadOnly,         // the read-only rule (statement kinds, its default function list, settings)
    kDeniedFunction,   // the role's own deny_functions
    kUnparsed,         // libpg_query could not parse it: refused whenever rules apply (fail closed)
  };
  Rule rule;
  std::string reason;   // "INSERT is not allowed", "function pg_read_file() is not allowed"
  int position = 0;     // kUnparsed: 1-based offset of the syntax error in the text, 0 = unknown
};

// Every statement of `sql` (a simple Query may hold several; one refused refuses the string).
// nullopt: allowed. Costs a parse (~5-15 µs): callers skip it when rules.unrestricted() and cache
// the answer by text.
std::optional<StatementRefusal> check_statement(const StatementRules& rules, std::string_view sql);

}  // namespace policy
