#include "policy/sql_tree.h"

#include <pg_query.h>

namespace policy {

std::expected<nlohmann::json, SqlParseError> parse_sql_tree(std::string_view sql) {
  const std::string text(sql);   // libpg_query wants a NUL-terminated string
  PgQueryParseResult result = pg_query_parse(text.c_str());
  if (result.error != nullptr) {
    SqlParseError error{result.error->message ? result.error->message : "syntax error", result.error->cursorpos};
    pg_query_free_parse_result(result);
    return std::unexpected(std::move(error));
  }
  nlohmann::json tree = nlohmann::json::parse(result.parse_tree, nullptr, /*allow_exceptions=*/false);
  pg_query_free_parse_result(result);
  if (tree.is_discarded()) return std::unexpected(SqlParseError{"libpg_query returned an unreadable parse tree"});
  return tree;
}

std::string last_name(const nlohmann::json& names) {
  std::string name;
  for (const auto& part : names) {
    if (part.contains("String")) name = part["String"].value("sval", "");
  }
  return name;
}

}  // namespace policy
