#include "policy/statement_rules.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "policy/sql_tree.h"

namespace policy {
namespace {

using Json = nlohmann::json;
using Rule = StatementRefusal::Rule;

constexpr std::string_view kDefaultDenied[] = {
    // Server files and directories (adminpack's pg_file_* too).
    "pg_read_file", "pg_read_binary_file", "pg_ls_*", "pg_stat_file", "pg_file_*", "pg_logdir_ls",
    // Large objects: server-side import/export and every writer.
    "lo_import", "lo_export", "lo_create", "lo_creat", "lo_unlink", "lo_put", "lo_from_bytea", "lo_truncate",
    "lo_truncate64", "lowrite",
    // Other sessions and the server itself.
    "pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf", "pg_rotate_logfile", "pg_promote",
    "pg_switch_wal", "pg_create_restore_point", "pg_backup_start", "pg_backup_stop", "pg_start_backup",
    "pg_stop_backup", "pg_wal_replay_*", "pg_create_*", "pg_drop_replication_slot", "pg_copy_*",
    "pg_replication_slot_advance", "pg_replication_origin_*", "pg_logical_slot_*", "pg_logical_emit_message",
    "pg_stat_reset*", "pg_stat_statements_reset", "pg_import_system_collations", "pg_log_backend_memory_contexts",
    "binary_upgrade_*",
    // Writes that are function calls, locks, messages to other sessions.
    "nextval", "setval", "pg_advisory*", "pg_try_advisory*", "pg_notify",
    // Remote connections, and functions that run SQL given as a string (which no check sees).
    "dblink*", "query_to_xml*", "ts_stat", "crosstab*", "connectby", "xpath_table"};

constexpr std::string_view kSecuritySettings[] = {
    "role", "session_authorization", "transaction_read_only", "default_transaction_read_only",
    "session_replication_role", "lo_compat_privileges", "log_statement", "log_min_duration_statement",
    "log_min_error_statement", "log_min_messages", "log_duration", "log_statement_sample_rate",
    "log_transaction_sample_rate", "log_parameter_max_length", "log_parameter_max_length_on_error", "pgaudit.*"};

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool any_matches(const auto& patterns, std::string_view name) {
  return std::any_of(std::begin(patterns), std::end(patterns),
                     [&](const auto& pattern) { return function_matches(pattern, name); });
}

bool is_security_setting(std::string_view name) { return any_matches(kSecuritySettings, lower(name)); }

bool is_read_only_setting(std::string_view name) {
  return name == "transaction_read_only" || name == "default_transaction_read_only";
}

// The node's type and body: {"SelectStmt": {...}} -> ("SelectStmt", {...}).
std::pair<std::string, const Json*> unwrap(const Json& node) {
  if (!node.is_object() || node.empty()) return {"", nullptr};
  return {node.begin().key(), &node.begin().value()};
}

// A constant's text: A_Const {sval: {sval: ...}}, through casts ('role'::text).
std::optional<std::string> string_constant(const Json& node) {
  auto [type, body] = unwrap(node);
  if (type == "TypeCast") return string_constant(body->value("arg", Json::object()));
  if (type != "A_Const" || !body->contains("sval")) return std::nullopt;
  return (*body)["sval"].value("sval", "");
}

// A boolean-ish constant that says "on": 'on', true, yes, 1 (PostgreSQL's parse_bool, roughly).
bool is_true_constant(const Json& node) {
  auto [type, body] = unwrap(node);
  if (type != "A_Const") return false;
  if (body->contains("ival")) return (*body)["ival"].value("ival", 0) != 0;   // 0 is omitted in the JSON
  if (body->contains("boolval")) return (*body)["boolval"].value("boolval", false);
  if (auto text = string_constant(node)) {
    const std::string v = lower(*text);
    return v == "on" || v == "true" || v == "yes" || v == "1" || v == "t" || v == "y";
  }
  return false;
}

// "InsertStmt" -> "INSERT", "AlterTableStmt" -> "ALTER TABLE": how a refusal names a statement.
std::string statement_name(std::string_view node, const Json& body) {
  if (node == "VacuumStmt") return body.value("is_vacuumcmd", false) ? "VACUUM" : "ANALYZE";
  if (node == "GrantStmt") return body.value("is_grant", false) ? "GRANT" : "REVOKE";
  if (node == "GrantRoleStmt") return body.value("is_grant", false) ? "GRANT role" : "REVOKE role";
  if (node == "CopyStmt") return "COPY FROM";
  if (node == "IndexStmt") return "CREATE INDEX";
  if (node == "ViewStmt") return "CREATE VIEW";
  if (node == "RuleStmt") return "CREATE RULE";
  if (node == "DefineStmt") return "CREATE (aggregate, operator, type ...)";
  if (node == "CreateTableAsStmt") return "CREATE TABLE AS";
  if (node == "RefreshMatViewStmt") return "REFRESH MATERIALIZED VIEW";
  if (node == "SecLabelStmt") return "SECURITY LABEL";
  if (node == "RenameStmt") return "ALTER ... RENAME";
  if (node == "CheckPointStmt") return "CHECKPOINT";
  if (node == "CreateStmt") return "CREATE TABLE";
  std::string_view stem = node;
  if (stem.ends_with("Stmt")) stem.remove_suffix(4);
  std::string out;
  for (char c : stem) {
    if (std::isupper(static_cast<unsigned char>(c)) && !out.empty()) out += ' ';
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

struct Checker {
  const StatementRules& rules;
  bool read_only;
  std::optional<StatementRefusal> refusal;

  void refuse(Rule rule, std::string reason) {
    if (!refusal) refusal = StatementRefusal{rule, std::move(reason), 0};
  }

  // A function call (or attribute notation, `('/etc/passwd'::text).pg_read_file`, which
  // PostgreSQL also resolves as a call).
  void function(const std::string& called, const Json* args) {
    const std::string name = lower(called);
    if (name.empty() || any_matches(rules.allow_functions, name)) return;
    if (any_matches(rules.deny_functions, name)) {
      refuse(Rule::kDeniedFunction, fmt::format("function {}() is on the role's deny list", name));
    } else if (read_only && any_matches(kDefaultDenied, name)) {
      refuse(Rule::kReadOnly, fmt::format("function {}() is not allowed", name));
    } else if (read_only && name == "set_config" && args != nullptr) {
      set_config(*args);
    }
  }

  // set_config(setting_name, new_value, is_local), positional or named.
  void set_config(const Json& args) {
    std::optional<std::string> setting;
    for (std::size_t i = 0; i < args.size(); ++i) {
      auto [type, body] = unwrap(args[i]);
      if (i == 0 && type != "NamedArgExpr") setting = string_constant(args[i]);
      if (type == "NamedArgExpr" && body->value("name", "") == "setting_name") {
        setting = string_constant(body->value("arg", Json::object()));
      }
    }
    if (!setting) {
      refuse(Rule::kReadOnly, "set_config() with a setting name that is not a constant is not allowed");
    } else if (is_security_setting(*setting)) {
      refuse(Rule::kReadOnly, fmt::format("set_config('{}', ...) is not allowed", lower(*setting)));
    }
  }

  // Everything below a statement: calls, and (when it runs) nested writes and row locks.
  void scan(const Json& node, bool executes, std::string_view skip_key = {}) {
    if (refusal) return;
    if (node.is_array()) {
      for (const auto& item : node) scan(item, executes);
      return;
    }
    if (!node.is_object()) return;
    for (const auto& [key, value] : node.items()) {
      if (key == skip_key) continue;
      if (key == "FuncCall") {
        function(last_name(value.value("funcname", Json::array())), value.contains("args") ? &value["args"] : nullptr);
      } else if (key == "A_Indirection") {
        for (const auto& part : value.value("indirection", Json::array())) {
          if (part.contains("String")) function(part["String"].value("sval", ""), nullptr);
        }
      } else if (key == "ColumnRef" && value.contains("fields") && value["fields"].size() >= 2) {
        function(last_name(value["fields"]), nullptr);   // a.b may be b(a) as well
      } else if (read_only && executes) {
        if (key == "InsertStmt" || key == "UpdateStmt" || key == "DeleteStmt" || key == "MergeStmt") {
          refuse(Rule::kReadOnly, fmt::format("a data-modifying statement ({}) inside a query is not allowed",
                                              statement_name(key, value)));
        } else if (key == "lockingClause" && !value.empty()) {
          refuse(Rule::kReadOnly, "SELECT ... FOR UPDATE/SHARE is not allowed (it locks rows)");
        }
      }
      scan(value, executes);
    }
  }

  // A statement that read-only may wrap: the wrapped query is checked as a statement of its own.
  void wrapped(const Json& body, std::string_view wrapper) {
    const Json& inner = body.value("query", Json::object());
    statement(inner, wrapper);
    scan(body, true, "query");
  }

  void statement(const Json& stmt, std::string_view wrapper = {}) {
    auto [node, body_ptr] = unwrap(stmt);
    if (body_ptr == nullptr || refusal) return;
    const Json& body = *body_ptr;
    if (!read_only) {
      scan(body, true);
      return;
    }
    const std::string in = wrapper.empty() ? "" : fmt::format(" (in {})", wrapper);
    if (node == "SelectStmt") {
      if (body.contains("intoClause")) refuse(Rule::kReadOnly, "SELECT INTO is not allowed (it creates a table)" + in);
      scan(body, true);
    } else if (node == "ExplainStmt") {
      explain(body);
    } else if (node == "DeclareCursorStmt") {
      wrapped(body, "DECLARE");
    } else if (node == "PrepareStmt") {
      wrapped(body, "PREPARE");
    } else if (node == "CopyStmt") {
      if (body.value("is_from", false)) {
        refuse(Rule::kReadOnly, "COPY FROM is not allowed" + in);
      } else if (body.contains("filename") || body.value("is_program", false)) {
        refuse(Rule::kReadOnly, "COPY TO a server file or program is not allowed (COPY ... TO STDOUT is)" + in);
      } else if (body.contains("query")) {
        wrapped(body, "COPY");
      }
      scan(body, true);
    } else if (node == "VariableSetStmt") {
      set(body);
    } else if (node == "TransactionStmt") {
      transaction(body);
    } else if (node == "VariableShowStmt" || node == "DiscardStmt" || node == "ListenStmt" || node == "UnlistenStmt" ||
               node == "ClosePortalStmt" || node == "FetchStmt" || node == "ExecuteStmt" || node == "DeallocateStmt" ||
               node == "ConstraintsSetStmt") {
      scan(body, true);   // EXECUTE's parameters are expressions
    } else {
      refuse(Rule::kReadOnly, statement_name(node, body) + " is not allowed" + in);
    }
  }

  // EXPLAIN only plans; EXPLAIN ANALYZE runs the statement, so that must be allowed on its own.
  // Calls are checked either way (the planner may evaluate functions of constants).
  void explain(const Json& body) {
    bool analyze = false;
    for (const auto& option : body.value("options", Json::array())) {
      auto [type, elem] = unwrap(option);
      if (type == "DefElem" && lower(elem->value("defname", "")) == "analyze") analyze = option_on(*elem);
    }
    if (analyze) {
      wrapped(body, "EXPLAIN ANALYZE");
    } else {
      scan(body, false);
    }
  }

  // An EXPLAIN option: anything but a clear false/off/no/0 counts as on (fail closed).
  static bool option_on(const Json& elem) {
    const auto arg = elem.find("arg");
    if (arg == elem.end()) return true;
    auto [type, body] = unwrap(*arg);
    if (type == "Integer") return body->value("ival", 0) != 0;
    if (type == "A_Const" && body->contains("ival")) return is_true_constant(*arg);
    std::optional<std::string> text = type == "String" ? std::optional(body->value("sval", "")) : string_constant(*arg);
    const std::string v = lower(text.value_or("on"));
    return !(v == "false" || v == "off" || v == "no" || v == "0" || v == "f" || v == "n");
  }

  void set(const Json& body) {
    const std::string kind = body.value("kind", "");
    const std::string name = lower(body.value("name", ""));
    if (kind == "VAR_SET_MULTI") {   // SET TRANSACTION / SET SESSION CHARACTERISTICS AS TRANSACTION
      transaction_modes(body.value("args", Json::array()), "SET " + body.value("name", std::string("TRANSACTION")));
    } else if ((kind == "VAR_SET_VALUE" || kind == "VAR_SET_CURRENT") && is_security_setting(name)) {
      const Json& args = body.value("args", Json::array());
      const bool safer = is_read_only_setting(name) && args.size() == 1 && is_true_constant(args[0]);
      if (!safer) refuse(Rule::kReadOnly, fmt::format("SET {} is not allowed", name));
    }
    scan(body, true);   // RESET, SET ... TO DEFAULT go back to the login's own values: allowed
  }

  void transaction_modes(const Json& options, std::string_view what) {
    for (const auto& option : options) {
      auto [type, elem] = unwrap(option);
      if (type == "DefElem" && elem->value("defname", "") == "transaction_read_only" &&
          !is_true_constant(elem->value("arg", Json::object()))) {
        refuse(Rule::kReadOnly, fmt::format("{} READ WRITE is not allowed", what));
      }
    }
  }

  void transaction(const Json& body) {
    const std::string kind = body.value("kind", "");
    if (kind == "TRANS_STMT_PREPARE" || kind == "TRANS_STMT_COMMIT_PREPARED" || kind == "TRANS_STMT_ROLLBACK_PREPARED") {
      // Two-phase commit would let a session commit or discard other sessions' prepared work.
      refuse(Rule::kReadOnly, "two-phase commit (PREPARE TRANSACTION, COMMIT/ROLLBACK PREPARED) is not allowed");
    }
    transaction_modes(body.value("options", Json::array()), kind == "TRANS_STMT_START" ? "START TRANSACTION" : "BEGIN");
  }
};

}  // namespace

bool function_matches(std::string_view pattern, std::string_view name) {
  const std::string p = lower(pattern);
  if (p.ends_with('*')) return name.starts_with(std::string_view(p).substr(0, p.size() - 1));
  return p == name;
}

std::span<const std::string_view> default_denied_functions() { return kDefaultDenied; }
std::span<const std::string_view> security_settings() { return kSecuritySettings; }

std::optional<StatementRefusal> check_statement(const StatementRules& rules, std::string_view sql) {
  if (rules.unrestricted()) return std::nullopt;
  auto tree = parse_sql_tree(sql);
  if (!tree) return StatementRefusal{Rule::kUnparsed, std::move(tree.error().message), tree.error().position};
  Checker checker{rules, rules.mode == StatementMode::kReadOnly, std::nullopt};
  for (const auto& stmt : tree->value("stmts", Json::array())) {
    checker.statement(stmt.value("stmt", Json::object()));
    if (checker.refusal) break;
  }
  return checker.refusal;
}

}  // namespace policy
