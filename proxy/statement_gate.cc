#include "proxy/statement_gate.h"

#include <fmt/format.h>

#include "proxy/wire/frontend_messages.h"
#include "proxy/wire/message_types.h"

namespace proxy {
namespace {

// The cache holds the verdicts of a session's distinct statements; clients with generated SQL
// (literals inline) would grow it without end, so it starts over when full.
constexpr std::size_t kCacheEntries = 512;
constexpr std::size_t kCachedTextMax = 8 << 10;

bool checked_type(char type) {
  return type == pgwire::fe::kQuery || type == pgwire::fe::kParse || type == pgwire::fe::kFunctionCall;
}

}  // namespace

StatementGate::StatementGate(std::string role, std::string database, ConfigSource current)
    : role_(std::move(role)), database_(std::move(database)), current_(std::move(current)) {
  rules();
}

const policy::StatementRules& StatementGate::rules() {
  const auto& config = current_();
  if (config != config_) {
    const Role* role = config ? config->role(role_) : nullptr;
    if (role != nullptr) {
      config_ = config;
      rules_ = &role->statement_rules;
    } else if (rules_ != nullptr && rules_ != &last_rules_) {
      last_rules_ = *rules_;   // fail closed: keep what was in force
      rules_ = &last_rules_;
    }
    cache_.clear();
  }
  if (rules_ == nullptr) {   // no role at all (cannot happen after admission): refuse everything
    last_rules_ = policy::StatementRules{policy::StatementMode::kReadOnly, {"*"}, {}};
    rules_ = &last_rules_;
  }
  return *rules_;
}

bool StatementGate::needs_whole(char type) const {
  return checked_type(type) && rules_ != nullptr && !rules_->unrestricted();
}

bool StatementGate::refuse(char type, pgwire::Bytes body, bool complete, std::string& replacement) {
  // An incomplete message was streamed because needs_whole() said the rules did not need it.
  if (!checked_type(type) || !complete || rules().unrestricted()) return false;
  std::optional<pgwire::ErrorFields> error;
  if (type == pgwire::fe::kFunctionCall) {
    error = fast_path_refusal();
  } else if (type == pgwire::fe::kQuery) {
    auto query = pgwire::parse_query(body);
    if (!query) return false;   // malformed: the server rejects it
    error = check(query->sql);
  } else {
    auto parse = pgwire::parse_parse(body);
    if (!parse) return false;
    error = check(parse->query);
  }
  if (!error) return false;
  if (on_refused) on_refused(*error);
  return refusals_.substitute(type, body, std::move(*error), replacement);
}

std::optional<pgwire::ErrorFields> StatementGate::check(std::string_view sql) {
  const policy::StatementRules& in_force = rules();
  if (in_force.unrestricted()) return std::nullopt;
  std::optional<policy::StatementRefusal> refusal;
  if (auto it = cache_.find(std::string(sql)); it != cache_.end()) {
    refusal = it->second;
  } else {
    refusal = policy::check_statement(in_force, sql);
    if (sql.size() <= kCachedTextMax) {
      if (cache_.size() >= kCacheEntries) cache_.clear();
      cache_.emplace(sql, refusal);
    }
  }
  if (!refusal) return std::nullopt;
  return describe(*refusal);
}

pgwire::ErrorFields StatementGate::describe(const policy::StatementRefusal& refusal) const {
  using Rule = policy::StatementRefusal::Rule;
  const bool read_only = rules_->mode == policy::StatementMode::kReadOnly;
  if (refusal.rule == Rule::kUnparsed) {
    // What the server would say for a syntax error, with its position, but not sent to it.
    auto error = pgwire::make_error(
        "ERROR", "42601", refusal.reason,
        fmt::format("pgveil checks the statements of role \"{}\" ({}) with PostgreSQL 15's parser and did not send "
                    "this one to the server.",
                    role_, read_only ? "read-only" : "deny_functions"));
    if (refusal.position > 0) error.other.emplace_back(pgwire::field::kPosition, std::to_string(refusal.position));
    return error;
  }
  const std::string message =
      refusal.rule == Rule::kReadOnly
          ? fmt::format("pgveil: role \"{}\" is read-only: {}", role_, refusal.reason)
          : fmt::format("pgveil: role \"{}\" refuses this statement: {} (roles.{}.deny_functions)", role_,
                        refusal.reason, role_);
  return pgwire::make_error(
      "ERROR", pgwire::sqlstate::kInsufficientPrivilege, message,
      fmt::format("Ask for access under a role that allows it: pgveil request --db {} --role <{}> --reason \"...\"",
                  database_, refusal.rule == Rule::kReadOnly ? "a role that allows writes" : "a role that allows it"));
}

pgwire::ErrorFields StatementGate::fast_path_refusal() const {
  const bool read_only = rules_->mode == policy::StatementMode::kReadOnly;
  return pgwire::make_error(
      "ERROR", pgwire::sqlstate::kInsufficientPrivilege,
      fmt::format("pgveil: role \"{}\" {}: fast-path function calls are not allowed (they name a function by OID, "
                  "which pgveil cannot check)",
                  role_, read_only ? "is read-only" : "has a function deny list"),
      "Call the function in a query instead (SELECT lo_get(...), for example).");
}

}  // namespace proxy
