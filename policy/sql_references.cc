#include "policy/sql_references.h"

#include <set>
#include <vector>

#include "policy/sql_tree.h"

namespace policy {
namespace {

using Json = nlohmann::json;

// Clauses whose columns choose or order rows rather than produce values.
bool is_predicate_clause(const std::string& key) {
  static const std::set<std::string> kClauses{"whereClause", "havingClause", "quals",          "sortClause",
                                              "groupClause", "distinctClause", "partitionClause", "orderClause",
                                              "agg_filter",  "limitCount",     "limitOffset"};
  return kClauses.contains(key);
}

// Statements that store what they read (under names of their own) or define objects over it.
bool is_write(const std::string& key) {
  // intoClause: SELECT INTO. CREATE TABLE and CREATE DOMAIN store expressions (DEFAULT
  // current_setting(...) after set_config, DEFAULT f()) that later INSERTs evaluate into rows.
  static const std::set<std::string> kWrites{"InsertStmt", "UpdateStmt", "MergeStmt",       "CreateTableAsStmt",
                                             "intoClause", "ViewStmt",   "RuleStmt",        "CreateStmt",
                                             "CreateDomainStmt", "AlterDomainStmt"};
  return kWrites.contains(key);
}

// The ColumnRef names inside `node`; `star` is set by a t.* or * among them.
void collect_columns(const Json& node, std::set<std::string>& out, bool& star) {
  if (node.is_array()) {
    for (const auto& item : node) collect_columns(item, out, star);
    return;
  }
  if (!node.is_object()) return;
  for (const auto& [key, value] : node.items()) {
    if (key == "ColumnRef") {
      for (const auto& f : value.value("fields", Json::array())) star = star || f.contains("A_Star");
      if (std::string name = last_name(value.value("fields", Json::array())); !name.empty()) out.insert(name);
    } else {
      collect_columns(value, out, star);
    }
  }
}

struct Walker {
  SqlReferences& refs;
  // ColumnRefs of one field: maybe a whole-row reference (and whether in a predicate).
  std::vector<std::pair<std::string, bool>> single_names;
  int predicate_depth = 0;                 // > 0 inside a predicate clause
  int select_depth = 0;                    // 1 in the statement's own SELECT, more in nested ones

  void column_ref(const Json& ref, bool top_level_target) {
    const Json& fields = ref.value("fields", Json::array());
    bool star = false;
    for (const auto& f : fields) star = star || f.contains("A_Star");
    if (star) {
      (top_level_target ? refs.star : refs.whole_row) = true;
      refs.nested_star = refs.nested_star || (top_level_target && select_depth > 1);
      refs.predicate_any = refs.predicate_any || (predicate_depth > 0 && !top_level_target);
      return;
    }
    const std::string name = last_name(fields);
    if (name.empty()) return;
    refs.columns.insert(name);
    if (predicate_depth > 0) refs.predicate_columns.insert(name);
    if (fields.size() == 1) single_names.emplace_back(name, predicate_depth > 0);
    // Attribute notation: a.b may be b(a), a function call (PostgreSQL runs c.lo_get for lo_get(c)).
    if (fields.size() >= 2) refs.functions.insert(name);
  }

  // ORDER BY 2, GROUP BY x (an output alias), DISTINCT ON (1): the select-list entry decides.
  void positional_predicates(const Json& select) {
    // A set operation's output columns are its leftmost branch's.
    const Json* leftmost = &select;
    while (!leftmost->contains("targetList") && leftmost->contains("larg")) leftmost = &(*leftmost)["larg"];
    const Json& targets = leftmost->value("targetList", Json::array());
    bool star_target = false;   // ORDER BY 3 after a star: any column of the table
    for (const auto& t : targets) {
      const Json ref = t.value("ResTarget", Json::object()).value("val", Json::object()).value("ColumnRef", Json::object());
      for (const auto& f : ref.value("fields", Json::array())) star_target = star_target || f.contains("A_Star");
    }
    for (const char* clause : {"sortClause", "groupClause", "distinctClause"}) {
      for (const auto& item : select.value(clause, Json::array())) {
        const Json& node = item.contains("SortBy") ? item["SortBy"].value("node", Json::object()) : item;
        const Json* target = nullptr;
        if (node.contains("A_Const") && node["A_Const"].contains("ival")) {
          const auto position = node["A_Const"]["ival"].value("ival", 0);
          refs.predicate_any = refs.predicate_any || star_target;
          if (position >= 1 && static_cast<std::size_t>(position) <= targets.size()) target = &targets[position - 1];
        } else if (node.contains("ColumnRef") && node["ColumnRef"].value("fields", Json::array()).size() == 1) {
          const std::string name = last_name(node["ColumnRef"]["fields"]);
          for (const auto& t : targets) {
            if (t.contains("ResTarget") && t["ResTarget"].value("name", "") == name) target = &t;
          }
        }
        if (target == nullptr) continue;
        bool star = false;
        collect_columns(*target, refs.predicate_columns, star);
        refs.predicate_any = refs.predicate_any || star;
      }
    }
  }

  void walk(const Json& node, bool target_value = false) {
    if (node.is_array()) {
      for (const auto& item : node) walk(item);
      return;
    }
    if (!node.is_object()) return;
    for (const auto& [key, value] : node.items()) {
      if (key == "ColumnRef") {
        column_ref(value, target_value);
      } else if (key == "ResTarget") {
        // A SELECT list entry: its value may be a bare t.* (an expansion, not a whole row).
        if (value.contains("val")) walk(value["val"], value["val"].contains("ColumnRef"));
        for (const auto& [k, v] : value.items()) {
          if (k != "val") walk(v);
        }
      } else if (key == "FuncCall") {
        const std::string name = last_name(value.value("funcname", Json::array()));
        refs.functions.insert(name);
        refs.called_functions.insert(name);
        walk(value);
      } else if (key == "CallStmt") {
        // CALL p(...): its funccall is a FuncCall without the wrapper the walk keys on.
        const std::string name = last_name(value.value("funccall", Json::object()).value("funcname", Json::array()));
        refs.functions.insert(name);
        refs.called_functions.insert(name);
        walk(value);
      } else if (key == "A_Expr") {
        // An operator runs its function (a user-defined one may read rows by itself); BETWEEN and
        // its variants are spelled in letters and are no operators.
        const std::string name = last_name(value.value("name", Json::array()));
        if (!name.empty() && name.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz ") ==
                                 std::string::npos) {
          refs.functions.insert(name);
          refs.called_functions.insert(name);
        }
        walk(value);
      } else if (key == "A_Indirection") {
        // (x).f is attribute notation too: `(16384::oid).lo_get` calls lo_get(16384).
        for (const auto& part : value.value("indirection", Json::array())) {
          if (part.contains("String")) refs.functions.insert(part["String"].value("sval", ""));
        }
        walk(value);
      } else if (key == "RangeVar") {
        refs.relations.insert(value.value("relname", ""));
        if (value.contains("alias")) {
          refs.relations.insert(value["alias"].value("aliasname", ""));
          refs.renamed_columns = refs.renamed_columns || value["alias"].contains("colnames");
        }
      } else if (key == "JoinExpr") {
        if (value.contains("alias")) refs.renamed_columns = refs.renamed_columns || value["alias"].contains("colnames");
        // USING (email) compares the columns without naming them as ColumnRefs; NATURAL, all shared ones.
        for (const auto& name : value.value("usingClause", Json::array())) {
          const std::string column = name.contains("String") ? name["String"].value("sval", "") : "";
          refs.columns.insert(column);
          refs.predicate_columns.insert(column);
        }
        refs.predicate_any = refs.predicate_any || value.value("isNatural", false);
        refs.natural_join = refs.natural_join || value.value("isNatural", false);
        walk(value);
      } else if (key == "SelectStmt" || ((key == "larg" || key == "rarg") && value.contains("op"))) {
        // Set operation branches are SELECTs too (without the SelectStmt wrapper).
        positional_predicates(value);
        ++select_depth;
        walk(value);
        --select_depth;
      } else if (key == "CreateFunctionStmt") {
        refs.created_functions.insert(last_name(value.value("funcname", Json::array())));
        walk(value);
      } else if (key == "Alias" || key == "alias") {
        if (value.is_object() && value.contains("aliasname")) refs.relations.insert(value["aliasname"].get<std::string>());
        walk(value);
      } else if (is_write(key)) {
        refs.writes = true;
        walk(value);
      } else if (key == "RenameStmt" || key == "AlterTableStmt" || key == "AlterObjectSchemaStmt" ||
                 key == "CreateTrigStmt") {
        refs.redefines = true;
        walk(value);
      } else if (is_predicate_clause(key)) {
        ++predicate_depth;
        walk(value);
        --predicate_depth;
      } else if (key == "VariableShowStmt") {
        refs.shows_setting = true;
      } else if (key == "DoStmt") {
        refs.procedural = true;
      } else if (key == "DeclareCursorStmt") {
        refs.declared_cursors.insert(value.value("portalname", ""));
        walk(value);
      } else if (key == "PrepareStmt") {
        refs.prepared_statements.insert(value.value("name", ""));
        walk(value);
      } else if (key == "ExecuteStmt") {
        refs.executed_statements.insert(value.value("name", ""));
        walk(value);
      } else if (key == "FetchStmt") {
        refs.fetched_cursors.insert(value.value("portalname", ""));
      } else if (key == "RangeFunction") {
        // FROM f(...) AS g: g names the function's output, not a table row: walk all but the alias.
        // Its arguments decide how many rows come back (generate_series(1, length(ssn))).
        ++predicate_depth;
        for (const auto& [k, v] : value.items()) {
          if (k != "alias") walk(v);
        }
        --predicate_depth;
      } else if (key == "CopyStmt") {
        if (value.contains("relation") && !value.contains("query")) refs.copy_relation = true;
        walk(value);
      } else if (key == "CommonTableExpr") {
        refs.relations.insert(value.value("ctename", ""));
        walk(value);
      } else {
        walk(value);
      }
    }
  }
};

}  // namespace

std::expected<SqlReferences, std::string> analyze_sql(std::string_view sql) {
  auto tree = parse_sql_tree(sql);
  if (!tree) return std::unexpected(std::move(tree.error().message));
  SqlReferences refs;
  Walker walker{refs, {}};
  walker.walk(*tree);
  refs.relations.erase("");
  for (const auto& [name, in_predicate] : walker.single_names) {
    if (!refs.relations.contains(name)) continue;
    refs.whole_row = true;
    refs.predicate_any = refs.predicate_any || in_predicate;
  }
  refs.columns.erase("");
  refs.predicate_columns.erase("");
  refs.functions.erase("");
  refs.called_functions.erase("");
  return refs;
}

}  // namespace policy
