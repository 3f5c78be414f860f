// Relay observers of a session with audit on (issue #5, write-ahead): they wrap the plain or the
// masked observers. A Query, Execute or FunctionCall is held (Verdict::kHold) until the writer
// says its statement event is recorded (or dropped under on_failure: continue); the relay writes
// nothing after it meanwhile and the worker thread serves other sessions. Under on_failure: block
// a statement that could not be recorded is replaced by pgveil's refusal (statement_refusal.h).
// With audit off these types are not instantiated: the plain path does no extra work.
#pragma once

#include <asio/awaitable.hpp>
#include <string>

#include "proxy/relay.h"
#include "proxy/statement_audit.h"
#include "proxy/ticket_wait.h"
#include "proxy/wire/framing.h"

namespace proxy {

template <class Inner>
struct AuditedFrontendObserver {
  Inner& inner;
  StatementAudit& audit;
  std::optional<audit::Ticket> held{};

  Verdict on_message(char type, pgwire::Bytes body, bool complete, std::string& replacement) {
    if (complete) {
      held = audit.on_frontend(type, body);
      if (held) return Verdict::kHold;
    }
    return inner.on_message(type, body, complete, replacement);
  }

  asio::awaitable<Verdict> resume(char type, pgwire::Bytes body, std::string& replacement) {
    const audit::Outcome outcome = co_await wait_for_ticket(*held);
    const std::string why = held->error();
    held.reset();
    if (outcome == audit::Outcome::kRecorded || outcome == audit::Outcome::kDropped) {
      if (outcome == audit::Outcome::kDropped) {
        audit.proceed_unrecorded(why);
      } else {
        audit.proceed();
      }
      co_return inner.on_message(type, body, true, replacement);
    }
    // Each substitute message goes through the inner observer as if the client had sent it, so
    // the masked relay's bookkeeping (its injected Describe, the reply order) stays right.
    const std::string substitute = audit.refuse(type, why);
    std::string one;
    for (std::size_t pos = 0; pos < substitute.size();) {
      const pgwire::Header h = std::get<pgwire::Header>(
          pgwire::parse_header(pgwire::as_bytes(std::string_view(substitute).substr(pos)), 0x7fffffff));
      const std::size_t size = std::size_t{1} + h.length;
      const std::string_view message = std::string_view(substitute).substr(pos, size);
      one.clear();
      if (inner.on_message(h.type, pgwire::as_bytes(message.substr(5)), true, one) == Verdict::kReplace) {
        replacement += one;
      } else {
        replacement += message;
      }
      pos += size;
    }
    co_return Verdict::kReplace;
  }

  // Statements are analysed whole (they are bounded by limits.max_message_size).
  bool needs_whole(char type) const {
    return type == 'Q' || type == 'P' || type == 'B' || type == 'E' || type == 'F' || inner.needs_whole(type);
  }
  std::chrono::milliseconds idle_limit() const { return inner.idle_limit(); }
};

template <class Inner>
struct AuditedBackendObserver {
  Inner& inner;
  StatementAudit& audit;

  Verdict on_message(char type, pgwire::Bytes body, bool complete, std::string& replacement) {
    const bool ours = audit.on_backend(type, body) && complete;
    const Verdict verdict = inner.on_message(type, body, complete, replacement);
    if (ours) {
      replacement.clear();
      return Verdict::kReplace;   // answers pgveil's own refusal messages
    }
    audit.sent_to_client(verdict == Verdict::kReplace ? replacement.size() : 5 + body.size());
    return verdict;
  }
  // Errors and command tags are read whole (they are small).
  bool needs_whole(char type) const { return type == 'E' || type == 'C' || inner.needs_whole(type); }
  std::chrono::milliseconds idle_limit() const { return inner.idle_limit(); }
};

}  // namespace proxy
