// The audit events of a session (issue #5 point 1): session_start/end, admission refusals, and
// the statement audit of the relay. Events are submitted without waiting (only statements wait).
#include <spdlog/spdlog.h>

#include "proxy/session.h"

namespace proxy {

audit::SessionRef Session::audit_ref() const {
  std::lock_guard lock(info_mutex_);
  audit::SessionRef ref;
  ref.id = info_.id;
  ref.person = info_.person;
  if (info_.grant_id != 0) ref.grant_id = info_.grant_id;
  ref.role = info_.role;
  ref.database = info_.database;
  return ref;
}

void Session::record(audit::EventBody body) const {
  if (services_.audit) services_.audit->submit(audit::Event(std::move(body)));
}

void Session::record_start() {
  if (!services_.audit) return;
  started_ = true;
  const SessionInfo i = info();
  std::optional<std::string> tls;   // "TLSv1.3 TLS_AES_256_GCM_SHA384" -> "TLSv1.3"
  if (i.tls != "plain" && !i.tls.empty()) tls = i.tls.substr(0, i.tls.find(' '));
  record(audit::SessionStart{audit_ref(), i.peer, std::move(tls), i.application_name});
}

void Session::record_end() {
  if (grant_ && gate_) services_.series.session_ended(end_reason_.empty() ? "closed" : end_reason_);
  if (!started_) return;
  audit::SessionEnd end;
  end.session = audit_ref();
  end.duration = std::chrono::duration_cast<std::chrono::milliseconds>(services_.now() - info().started);
  if (statement_audit_) {
    const auto& c = statement_audit_->counts();
    end.statements = c.statements;
    end.refusals = c.refusals;
    end.rows = c.rows;
    end.bytes_from_client = c.bytes_from_client;
    end.bytes_to_client = c.bytes_to_client;
    end.audit_dropped = c.dropped;
  }
  end.reason = end_reason_.empty() ? "closed" : end_reason_;
  record(std::move(end));
}

void Session::start_statement_audit() {
  if (!services_.audit) return;
  StatementAuditOptions options;
  options.writer = services_.audit.get();
  options.metrics = &services_.series;
  options.session = audit_ref();
  options.text_mode = [view = RuntimeView(services_), role = grant_->role]() mutable {
    const auto& runtime = view.current();
    return runtime->config->statement_text(runtime->config->role(role));
  };
  if (masking_) {
    options.profile = masking_->current_profile;
    options.masking = masking_.get();
  }
  statement_audit_ = std::make_unique<StatementAudit>(std::move(options));
}

}  // namespace proxy
