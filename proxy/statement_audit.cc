#include "proxy/statement_audit.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "audit/statement.h"
#include "masking/masks.h"
#include "proxy/wire/error.h"
#include "proxy/wire/frontend_messages.h"

namespace proxy {
namespace {

constexpr std::size_t kTextCacheSize = 256;
constexpr std::string_view kAuditRefusalStatement = "pgveil_audit_refusal";

audit::StatementInfo unknown_statement(std::string_view kind) {
  audit::StatementInfo info;
  info.kind = std::string(kind);
  return info;
}

}  // namespace

StatementAudit::StatementAudit(StatementAuditOptions options) : options_(std::move(options)) {
  if (options_.masking != nullptr) options_.masking->count_columns = true;
}

const audit::StatementInfo& StatementAudit::analyze_text(std::string_view sql, audit::TextMode mode) {
  std::string key;
  key.reserve(sql.size() + 1);
  key += mode == audit::TextMode::kRaw ? 'r' : 'n';
  key += sql;
  auto it = text_cache_.find(key);
  if (it != text_cache_.end()) return it->second;
  if (text_cache_.size() >= kTextCacheSize) text_cache_.clear();
  return text_cache_.emplace(std::move(key), audit::analyze_statement(sql, mode)).first->second;
}

audit::Ticket StatementAudit::submit(char type, std::string_view prepared_name, const audit::StatementInfo& info,
                                     std::span<const std::optional<std::string>> params, std::size_t param_count) {
  const std::uint64_t id = next_id_++;
  held_ = Held{type, id};
  ++counts_.statements;
  if (options_.metrics != nullptr) options_.metrics->statement(info.kind);
  const std::string_view protocol = type == 'E' ? "extended" : type == 'Q' ? "simple" : "fastpath";
  line_.clear();
  audit::append_line(line_, audit::Clock::now(),
                     audit::StatementRef{options_.session, id, protocol, prepared_name, info, params, param_count});
  return options_.writer->submit_line(line_);
}

void StatementAudit::on_bind(pgwire::Bytes body) {
  auto bind = pgwire::parse_bind(body);
  if (!bind) return;   // the server rejects it
  Portal portal;
  portal.statement_name = std::string(bind->statement);
  if (auto it = statements_.find(portal.statement_name); it != statements_.end()) portal.statement = it->second;
  portal.param_count = bind->parameters.size();
  const auto profile = options_.profile ? options_.profile() : nullptr;
  if (profile) {
    std::size_t i = 0;
    for (const auto& value : bind->parameters) {
      const auto format = bind->parameter_format(i++);
      if (!value) {
        portal.params.emplace_back(std::nullopt);
      } else if (format.value_or(1) != 0) {
        portal.params.emplace_back("(binary)");
      } else {
        std::string masked;
        masking::mask_string(profile->values_mask, profile->key, pgwire::as_chars(*value), masked);
        portal.params.emplace_back(std::move(masked));
      }
    }
  }
  portals_[std::string(bind->portal)] = std::move(portal);
}

std::optional<audit::Ticket> StatementAudit::on_frontend(char type, pgwire::Bytes body) {
  counts_.bytes_from_client += 5 + body.size();
  switch (type) {
    case 'Q': {
      // A simple Query drops the unnamed statement and portal (PROTOCOL.md 21).
      statements_.erase(std::string());
      portals_.erase(std::string());
      auto query = pgwire::parse_query(body);
      if (!query) return submit('Q', {}, unknown_statement("unparsed"));
      return submit('Q', {}, analyze_text(query->sql, options_.text_mode()));
    }
    case 'E': {
      auto execute = pgwire::parse_execute(body);
      auto it = execute ? portals_.find(std::string(execute->portal)) : portals_.end();
      if (it == portals_.end() || !it->second.statement) {
        return submit('E', {}, unknown_statement("unparsed"));   // the server fails it: no such portal
      }
      Portal& portal = it->second;
      Prepared& prepared = *portal.statement;
      const auto mode = options_.text_mode();
      if (!prepared.info || prepared.mode != mode) {
        prepared.info = audit::analyze_statement(prepared.sql, mode);
        prepared.mode = mode;
      }
      return submit('E', portal.statement_name, *prepared.info, portal.params, portal.param_count);
    }
    case 'F': {
      audit::StatementInfo info = unknown_statement("FUNCTION_CALL");
      std::size_t param_count = 0;
      if (auto call = pgwire::parse_function_call(body)) {
        info.normalized = fmt::format("fast-path call of function {}", call->function_oid);
        param_count = call->arguments.size();
      }
      return submit('F', {}, info, {}, param_count);
    }
    case 'P':
      if (auto parse = pgwire::parse_parse(body)) {
        auto prepared = std::make_shared<Prepared>();
        prepared->sql = std::string(parse->query);
        statements_[std::string(parse->statement)] = std::move(prepared);
      }
      break;
    case 'B':
      on_bind(body);
      break;
    case 'C':
      if (auto close = pgwire::parse_close(body)) {
        if (close->target == pgwire::kTargetStatement) {
          statements_.erase(std::string(close->name));
        } else {
          portals_.erase(std::string(close->name));
        }
      }
      break;
    default:
      break;
  }
  replies_.on_frontend(type);
  return std::nullopt;
}

void StatementAudit::proceed() {
  if (!held_) return;
  replies_.on_statement(held_->type, held_->id, std::chrono::steady_clock::now(), done_);
  held_.reset();
  flush_done();
}

void StatementAudit::proceed_unrecorded(const std::string& why) {
  ++counts_.dropped;
  spdlog::warn("session {}: statement {} runs unrecorded (audit.on_failure: continue; {} so far in this session): {}",
               options_.session.id, held_ ? held_->id : 0, counts_.dropped, why);
  proceed();
}

std::string StatementAudit::refuse(char type, const std::string& why) {
  spdlog::warn("session {}: statement {} refused: the audit log cannot record it: {}", options_.session.id,
               held_ ? held_->id : 0, why);
  ++counts_.refusals;
  if (options_.metrics != nullptr) options_.metrics->refusal("audit", kAuditRefusalSqlstate);
  auto error = pgwire::make_error(
      "ERROR", kAuditRefusalSqlstate,
      "pgveil refused to run this statement: the audit log cannot record it (audit.on_failure: block)",
      "Nothing was run. Try again in a moment: pgveil runs statements again as soon as the audit log records; "
      "if this persists, tell the pgveil operators (pgveil's log names the audit sink and the cause).");
  std::string out;
  if (type == 'E') {
    // A Parse of an unknown word fails where the Execute's reply would be, and as a failed named
    // Parse it leaves the client's statements and portals as they were.
    std::string parse;
    pgwire::encode_parse(parse, kAuditRefusalStatement, "");
    refusals_.substitute('P', pgwire::as_bytes(std::string_view(parse).substr(5)), std::move(error), out);
  } else {
    refusals_.substitute('Q', {}, std::move(error), out);
  }
  proceed();   // the substitute takes the statement's place in the reply order
  return out;
}

void StatementAudit::on_backend(char type, pgwire::Bytes body) {
  replies_.on_backend(type, body, done_);
  flush_done();
}

void StatementAudit::flush_done() {
  for (auto& done : done_) {
    counts_.rows += done.rows;
    const auto duration =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - done.started);
    // Taken (not copied) from the masking state, which then starts the next statement empty.
    std::map<std::string, std::uint64_t> masked;
    if (options_.masking != nullptr) masked.swap(options_.masking->masked_columns);
    if (options_.metrics != nullptr) {
      std::uint64_t values = 0;
      for (const auto& [column, count] : masked) values += count;
      options_.metrics->statement_done(duration, values);
    }
    line_.clear();
    audit::append_line(line_, audit::Clock::now(),
                       audit::StatementDoneRef{options_.session, done.id, duration, done.rows, done.bytes, masked,
                                               done.tag, done.sqlstate});
    // Not write-ahead: it rides in the next write (writer.h submit_later).
    options_.writer->submit_later(line_);
  }
  done_.clear();
}

}  // namespace proxy
