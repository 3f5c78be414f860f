// What a statement may reveal of the columns a masking profile covers (issue #4, item 4), from
// its SQL (policy/sql_references.h) and the database's catalog. Conservative by design: names
// only, so every name a rule matches counts as a read of the masked column.
#pragma once

#include <set>
#include <string>

#include "masking/profile.h"
#include "policy/sql_references.h"

namespace proxy {

class ColumnCatalog;

// derived: the statement names a column a rule matches (by name or table column), refers to a
// whole row, renames columns in FROM, runs procedural code, calls a function that reads data by
// itself (query_to_xml, dblink, lo_get, a user-defined function ...), or cannot be parsed; its
// computed result columns are refused under on_unprovable: refuse. copy_unsafe: derived, or a
// star or a whole table, which a COPY TO would send without saying which column is which.
// refusal: non-empty when every result of the statement is refused (a predicate on a masked
// column under refuse_predicates, planner statistics); the text names the column and the rule.
struct SqlRisk {
  bool derived = true;   // the default is "unknown": fail closed
  bool copy_unsafe = true;
  std::string refusal;
  // The SQL did not parse: the server will reject it, and its syntax error quotes only the
  // client's own text, so errors are not hidden for being derived.
  bool unparsed = false;
  // Non-empty: the statement itself must not run (INSERT ... SELECT, CREATE TABLE AS, SELECT INTO,
  // CREATE VIEW over masked columns or a star): it would launder them into a relation whose
  // columns no rule names. Says why.
  std::string write_refusal;
  // Non-empty: the statement must not run because what it does besides returning rows would
  // carry what it reads out of the result's reach: it reads masked columns and runs a DO block,
  // a user-defined or unknown function, or a volatile one (pg_advisory_lock(ssn::bigint) leaves
  // the value in pg_locks, set_config in a setting, pg_sleep in the time it takes). Says why.
  std::string effect_refusal;
  static SqlRisk safe() { return {false, false, {}, false, {}, {}}; }
  static SqlRisk unparsable() { return {true, true, {}, true, {}, {}}; }
  void merge(const SqlRisk& other);
};

// What the session did before that the statement builds on.
struct SessionFacts {
  // Functions the session created (CREATE FUNCTION): user code unknown to the catalog.
  const std::set<std::string>* functions = nullptr;
  // set_config() ran: settings (SHOW, current_setting, pg_settings) may hold masked values.
  bool settings_tainted = false;
  // The risk of what the statement runs by name: EXECUTE's prepared statement, FETCH's cursor.
  SqlRisk inherited = SqlRisk::safe();
};

// catalog: user-defined, known and volatile functions (nullptr: none known).
SqlRisk assess_sql(const masking::Profile& profile, const policy::SqlReferences& refs, const ColumnCatalog* catalog,
                   const SessionFacts& session = {});

// Whether the statement reads configuration settings (SHOW, current_setting, pg_settings), which
// set_config() may have filled from masked columns earlier in the session.
bool reads_settings(const policy::SqlReferences& refs);
bool writes_settings(const policy::SqlReferences& refs);

}  // namespace proxy
