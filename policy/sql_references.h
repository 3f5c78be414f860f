// What a SQL text refers to, from PostgreSQL's own parser (libpg_query): column names, relations
// and their aliases, function names, and whole-row references. Masking uses it to decide whether
// a computed result column may be derived from a masked column (issue #4: expressions, casts,
// row constructors, subqueries ... must not escape column rules). Pure, no catalog: names only,
// so callers must treat every match as "may refer to" (conservative).
#pragma once

#include <expected>
#include <set>
#include <string>
#include <string_view>

namespace policy {

struct SqlReferences {
  std::set<std::string> columns;     // last field of every ColumnRef ("ssn" for c.ssn)
  std::set<std::string> relations;   // relation names and aliases in FROM (and CTE names)
  std::set<std::string> functions;   // last part of every function name, as parsed (folded)
  // The subset of `functions` written as calls (f(...), CALL f(...)) or operators (a ### b: the
  // symbol, which pg_operator names like a function), not attribute notation (c.name may be a
  // column): a name the catalog does not know is a function created after it was loaded.
  std::set<std::string> called_functions;
  // A reference to a whole row: t.* inside an expression (row_to_json(t.*)), or a bare name that
  // is a relation or alias (row_to_json(c), c::text). A top-level SELECT * / t.* is not one: it
  // expands to plain columns, which RowDescription identifies.
  bool whole_row = false;
  // SELECT * / t.* at the top of a select list: it expands to whatever columns the table has.
  bool star = false;
  // A star in a nested SELECT (subquery, CTE, a set operation's branch): what it expands to can
  // come out computed (UNION outputs, a LATERAL subquery's columns) without any name in the text.
  bool nested_star = false;
  // NATURAL JOIN merges every same-named column without naming any (FULL: as computed columns).
  bool natural_join = false;
  // COPY table TO/FROM (the relation form): every column of the table, named nowhere.
  bool copy_relation = false;
  // Columns that decide which rows come back or in which order (WHERE, HAVING, JOIN ... ON,
  // ORDER BY, GROUP BY, DISTINCT ON, window PARTITION/ORDER BY): `WHERE ssn LIKE '1%'` guesses
  // a value without selecting it (issue #4, refuse_predicates).
  // Also the columns an ORDER BY / GROUP BY / DISTINCT ON position or output alias stands for
  // (`ORDER BY 2`, `ORDER BY x` for `ssn AS x`), JOIN ... USING columns, LIMIT/OFFSET expressions
  // and the arguments of functions in FROM (`generate_series(1, length(ssn))`): row counts and
  // orders are answers too.
  std::set<std::string> predicate_columns;
  // A predicate reads a whole row (`WHERE c::text LIKE ...`, `WHERE (c).ssn ...`), a star by
  // position (`SELECT * ... ORDER BY 3`), or joins NATURALly: any column may decide.
  bool predicate_any = false;
  // The statement stores rows (INSERT, UPDATE, MERGE, CREATE TABLE AS, SELECT INTO), defines a
  // view or rule, or a table or domain whose defaults later rows take: what it reads ends up
  // where later statements read it under other names.
  bool writes = false;
  // ALTER TABLE (a new generated column, a changed type), a rename, SET SCHEMA, CREATE TRIGGER:
  // changes what rules identify columns by (name, schema, type) or copies rows out of sight.
  bool redefines = false;
  // CREATE FUNCTION names: a function the session defined, unknown to a catalog loaded before.
  std::set<std::string> created_functions;
  // FROM t AS a(x, y): the columns get new names, so names no longer say which column is read.
  // (A subquery's or CTE's column list renames only what it names, or a star: nested_star.)
  bool renamed_columns = false;
  // SHOW name: reads a configuration setting (as current_setting() does).
  bool shows_setting = false;
  // DO blocks: procedural code the parser does not see into (it can RAISE any value).
  bool procedural = false;
  // SQL cursors are portals: DECLARE names one (its rows are the query's), FETCH reads one.
  std::set<std::string> declared_cursors, fetched_cursors;
  // PREPARE names a prepared statement (the protocol's namespace too), EXECUTE runs one.
  std::set<std::string> prepared_statements, executed_statements;
};

// Every statement of `sql` (a simple Query may hold several). Error: the parser's message.
std::expected<SqlReferences, std::string> analyze_sql(std::string_view sql);

}  // namespace policy
