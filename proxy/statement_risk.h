// What a statement may reveal of the columns a masking profile covers (issue #4, item 4), from
// its SQL (policy/sql_references.h) and the database's catalog. Conservative by design: names
// only, so every name a rule matches counts as a read of the masked column.
#pragma once

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
  static SqlRisk safe() { return {false, false, {}, false, {}}; }
  static SqlRisk unparsable() { return {true, true, {}, true, {}}; }
  void merge(const SqlRisk& other);
};

// catalog: user-defined functions (nullptr: none known).
SqlRisk assess_sql(const masking::Profile& profile, const policy::SqlReferences& refs, const ColumnCatalog* catalog);

// Whether the statement reads configuration settings (SHOW, current_setting, pg_settings), which
// set_config() may have filled from masked columns earlier in the session.
bool reads_settings(const policy::SqlReferences& refs);
bool writes_settings(const policy::SqlReferences& refs);

}  // namespace proxy
