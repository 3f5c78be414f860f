#include "proxy/audit_replies.h"

#include "proxy/wire/backend_messages.h"
#include "proxy/wire/error.h"

namespace proxy {

void AuditReplies::on_frontend(char type) {
  if (type == 'c' || type == 'f') {
    copy_in_ = false;
    return;
  }
  if (type == 'S') {
    if (copy_in_) return;
    skipping_ = false;
    pending_.push_back({type, {}, 0});
    return;
  }
  if (type != 'P' && type != 'B' && type != 'C' && type != 'D') return;
  if (skipping_) return;   // discarded by the server: no reply will come
  pending_.push_back({type, {}, 0});
}

void AuditReplies::on_statement(char type, std::uint64_t id, Time started, std::vector<Done>& done) {
  Done stmt{id, started, 0, 0, {}, std::nullopt};
  if (skipping_) {
    stmt.sqlstate = skip_sqlstate_;
    done.push_back(std::move(stmt));
    return;
  }
  pending_.push_back({type, std::move(stmt), 0});
}

void AuditReplies::finish(std::vector<Done>& done) {
  done.push_back(std::move(pending_.front().stmt));
  pending_.pop_front();
}

void AuditReplies::on_error(pgwire::Bytes body, std::vector<Done>& done) {
  auto fields = pgwire::parse_error_fields(body);
  std::string sqlstate = fields ? fields->sqlstate : "XX000";
  copy_in_ = false;
  if (!pending_.empty() && (pending_.front().type == 'Q' || pending_.front().type == 'F')) {
    pending_.front().stmt.sqlstate = std::move(sqlstate);   // ReadyForQuery follows
    return;
  }
  while (!pending_.empty() && pending_.front().type != 'S') {
    if (is_statement(pending_.front().type)) {
      pending_.front().stmt.sqlstate = sqlstate;
      finish(done);
    } else {
      pending_.pop_front();
    }
  }
  if (pending_.empty()) {
    skipping_ = true;
    skip_sqlstate_ = std::move(sqlstate);
  }
}

void AuditReplies::on_backend(char type, pgwire::Bytes body, std::vector<Done>& done) {
  Entry* front = pending_.empty() ? nullptr : &pending_.front();
  if (front != nullptr && is_statement(front->type)) front->stmt.bytes += 5 + body.size();
  switch (type) {
    case '1':
    case '2':
    case '3': {
      const char expected = type == '1' ? 'P' : type == '2' ? 'B' : 'C';
      if (front != nullptr && front->type == expected) pending_.pop_front();
      return;
    }
    case 'T':
    case 'n':
      // A Describe's answer; inside a Query or Execute it is the result's own description (or
      // the answer to a Describe pgveil injected for masking, which the masked relay swallows).
      if (front != nullptr && front->type == 'D') pending_.pop_front();
      return;
    case 'D':
      if (front != nullptr && is_statement(front->type)) {
        ++front->stmt.rows;
        ++front->result_rows;
      }
      return;
    case 'C':
    case 'I':
    case 's': {
      if (front == nullptr || !is_statement(front->type)) return;
      if (type == 'C') {
        if (auto complete = pgwire::parse_command_complete(body)) {
          front->stmt.tag = std::string(complete->tag);
          if (front->result_rows == 0) front->stmt.rows += complete->rows().value_or(0);
        }
      } else if (type == 's') {
        front->stmt.tag = "PortalSuspended";
      }
      front->result_rows = 0;
      if (front->type == 'E') finish(done);
      return;
    }
    case 'E':
      on_error(body, done);
      return;
    case 'Z':
      while (!pending_.empty()) {
        const char t = pending_.front().type;
        if (is_statement(t)) {
          finish(done);
        } else {
          pending_.pop_front();
        }
        if (t == 'S' || t == 'Q' || t == 'F') break;
      }
      skipping_ = false;
      return;
    case 'G':
      if (front != nullptr && front->type == 'E') {
        copy_in_ = true;
        auto it = pending_.begin() + 1;
        while (it != pending_.end() && it->type == 'S') it = pending_.erase(it);
      }
      return;
    default:
      return;
  }
}

}  // namespace proxy
