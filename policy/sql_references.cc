#include "policy/sql_references.h"

#include <vector>

#include "policy/sql_tree.h"

namespace policy {
namespace {

using Json = nlohmann::json;

struct Walker {
  SqlReferences& refs;
  std::vector<std::string> single_names;   // ColumnRefs of one field: maybe a whole-row reference

  void column_ref(const Json& ref, bool top_level_target) {
    const Json& fields = ref.value("fields", Json::array());
    bool star = false;
    for (const auto& f : fields) star = star || f.contains("A_Star");
    if (star) {
      (top_level_target ? refs.star : refs.whole_row) = true;
      return;
    }
    const std::string name = last_name(fields);
    if (name.empty()) return;
    refs.columns.insert(name);
    if (fields.size() == 1) single_names.push_back(name);
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
        refs.functions.insert(last_name(value.value("funcname", Json::array())));
        walk(value);
      } else if (key == "RangeVar") {
        refs.relations.insert(value.value("relname", ""));
        if (value.contains("alias")) refs.relations.insert(value["alias"].value("aliasname", ""));
      } else if (key == "Alias" || key == "alias") {
        if (value.is_object() && value.contains("aliasname")) refs.relations.insert(value["aliasname"].get<std::string>());
        walk(value);
      } else if (key == "DeclareCursorStmt") {
        refs.declared_cursors.insert(value.value("portalname", ""));
        walk(value);
      } else if (key == "FetchStmt") {
        refs.fetched_cursors.insert(value.value("portalname", ""));
      } else if (key == "RangeFunction") {
        // FROM f(...) AS g: g names the function's output, not a table row: walk all but the alias.
        for (const auto& [k, v] : value.items()) {
          if (k != "alias") walk(v);
        }
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
  for (const auto& name : walker.single_names) {
    if (refs.relations.contains(name)) refs.whole_row = true;
  }
  return refs;
}

}  // namespace policy
