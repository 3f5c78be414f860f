#include "audit/statement.h"

#include <fmt/format.h>
#include <pg_query.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>

#include "audit/sql_scrub.h"

namespace audit {
namespace {

using nlohmann::json;

std::string kind_of_node(std::string_view node, const json& body) {
  static const std::unordered_map<std::string_view, std::string_view> kExact = {
      {"SelectStmt", "SELECT"},         {"InsertStmt", "INSERT"},         {"UpdateStmt", "UPDATE"},
      {"DeleteStmt", "DELETE"},         {"MergeStmt", "MERGE"},           {"CopyStmt", "COPY"},
      {"TruncateStmt", "TRUNCATE"},     {"TransactionStmt", "TRANSACTION"}, {"VariableSetStmt", "SET"},
      {"VariableShowStmt", "SHOW"},     {"DiscardStmt", "SET"},           {"ExplainStmt", "EXPLAIN"},
      {"PrepareStmt", "PREPARE"},       {"ExecuteStmt", "EXECUTE"},       {"DeallocateStmt", "DEALLOCATE"},
      {"CallStmt", "CALL"},             {"DoStmt", "DO"},                 {"LockStmt", "LOCK"},
      {"VacuumStmt", "MAINTENANCE"},    {"ReindexStmt", "MAINTENANCE"},   {"ClusterStmt", "MAINTENANCE"},
      {"CheckPointStmt", "MAINTENANCE"}, {"GrantStmt", "DCL"},            {"GrantRoleStmt", "DCL"},
      {"AlterDefaultPrivilegesStmt", "DCL"}, {"ListenStmt", "LISTEN"},    {"NotifyStmt", "LISTEN"},
      {"UnlistenStmt", "LISTEN"},       {"IndexStmt", "DDL"},             {"ViewStmt", "DDL"},
      {"RenameStmt", "DDL"},            {"CommentStmt", "DDL"},           {"DefineStmt", "DDL"},
      {"CompositeTypeStmt", "DDL"},     {"RuleStmt", "DDL"},              {"SecLabelStmt", "DDL"},
      {"CreateTableAsStmt", "DDL"},     {"RefreshMatViewStmt", "DDL"},    {"DropOwnedStmt", "DDL"},
      {"ReassignOwnedStmt", "DDL"},     {"ImportForeignSchemaStmt", "DDL"},
  };
  if (const auto it = kExact.find(node); it != kExact.end()) {
    // SELECT ... INTO creates a table.
    if (it->second == "SELECT" && body.contains("intoClause")) return "DDL";
    return std::string(it->second);
  }
  for (std::string_view prefix : {"Create", "Alter", "Drop"}) {
    if (node.starts_with(prefix)) return "DDL";
  }
  return "OTHER";
}

std::string relation_name(const json& range_var) {
  const std::string rel = range_var.value("relname", "");
  const std::string schema = range_var.value("schemaname", "");
  const std::string catalog = range_var.value("catalogname", "");
  std::string name = schema.empty() ? rel : schema + "." + rel;
  return catalog.empty() ? name : catalog + "." + name;
}

// Walks a parse tree collecting RangeVar names and CTE names. `skip` is the RangeVar object that
// is the statement's write target (compared by address), recorded separately.
void collect(const json& node, const json* skip, std::set<std::string>& relations, std::set<std::string>& ctes) {
  if (node.is_array()) {
    for (const auto& item : node) collect(item, skip, relations, ctes);
    return;
  }
  if (!node.is_object()) return;
  for (const auto& [key, value] : node.items()) {
    if (key == "RangeVar" && value.is_object() && &value != skip) relations.insert(relation_name(value));
    if (key == "ctename" && value.is_string()) ctes.insert(value.get<std::string>());
    if (key == "relation" && value.is_object() && &value == skip) continue;
    // Statement fields hold a bare RangeVar under "relation" (no "RangeVar" wrapper).
    if (key == "relation" && value.is_object() && value.contains("relname")) {
      relations.insert(relation_name(value));
      continue;
    }
    collect(value, skip, relations, ctes);
  }
}

// The relation a statement writes to, if any.
const json* write_target(std::string_view node, const json& body) {
  if (node == "InsertStmt" || node == "UpdateStmt" || node == "DeleteStmt" || node == "MergeStmt" ||
      (node == "CopyStmt" && body.value("is_from", false))) {
    if (const auto it = body.find("relation"); it != body.end() && it->is_object()) return &*it;
  }
  return nullptr;
}

struct Tables {
  std::set<std::string> read, written, ctes;
};

void add_tables(std::string_view node, const json& body, Tables& tables) {
  const json* target = write_target(node, body);
  if (target != nullptr) tables.written.insert(relation_name(*target));
  if (node == "TruncateStmt") {
    std::set<std::string> truncated;
    collect(body, nullptr, truncated, tables.ctes);
    tables.written.insert(truncated.begin(), truncated.end());
    return;
  }
  collect(body, target, tables.read, tables.ctes);
}

std::vector<std::string> without_ctes(const std::set<std::string>& names, const std::set<std::string>& ctes) {
  std::vector<std::string> out;
  for (const auto& n : names) {
    if (!ctes.contains(n)) out.push_back(n);
  }
  return out;
}

StatementInfo unparsed() {
  StatementInfo info;
  info.kind = "unparsed";
  return info;
}

}  // namespace

StatementInfo analyze_statement(std::string_view sql, TextMode mode) {
  const std::string input(sql);  // libpg_query wants a NUL-terminated string

  PgQueryParseResult parse = pg_query_parse(input.c_str());
  json tree;
  const bool parse_ok = parse.error == nullptr && parse.parse_tree != nullptr;
  if (parse_ok) tree = json::parse(parse.parse_tree, nullptr, /*allow_exceptions=*/false);
  pg_query_free_parse_result(parse);
  if (!parse_ok || tree.is_discarded()) return unparsed();

  PgQueryNormalizeResult norm = pg_query_normalize(input.c_str());
  std::optional<std::string> normalized;
  if (norm.error == nullptr && norm.normalized_query != nullptr) normalized = scrub_literals(norm.normalized_query);
  pg_query_free_normalize_result(norm);
  if (!normalized) return unparsed();

  StatementInfo info;
  info.normalized = std::move(normalized);
  if (mode == TextMode::kRaw) info.text = input;

  PgQueryFingerprintResult fp = pg_query_fingerprint(input.c_str());
  if (fp.error == nullptr && fp.fingerprint_str != nullptr) info.fingerprint = fp.fingerprint_str;
  pg_query_free_fingerprint_result(fp);

  Tables tables;
  for (const auto& stmt : tree.value("stmts", json::array())) {
    const auto it = stmt.find("stmt");
    if (it == stmt.end() || !it->is_object() || it->empty()) continue;
    const std::string& node = it->begin().key();
    const json& body = it->begin().value();
    info.kinds.push_back(kind_of_node(node, body));
    add_tables(node, body, tables);
  }
  if (info.kinds.empty()) {
    info.kind = "EMPTY";
  } else if (std::all_of(info.kinds.begin(), info.kinds.end(), [&](const auto& k) { return k == info.kinds.front(); })) {
    info.kind = info.kinds.front();
    info.kinds.clear();
  } else {
    info.kind = "MULTI";
  }
  info.tables_read = without_ctes(tables.read, tables.ctes);
  info.tables_written = without_ctes(tables.written, tables.ctes);
  return info;
}

}  // namespace audit
