// Relay observers of a session with audit on (issue #5, write-ahead): they wrap the plain or the
// masked observers. A Query, Execute or FunctionCall is held (Verdict::kHold) until the writer
// says its statement event is recorded (or dropped under on_failure: continue); the relay writes
// nothing after it meanwhile and the worker thread serves other sessions. Under on_failure: block
// a statement that could not be recorded is replaced so that the server refuses it in place
// (statement_refusal.h). With audit off these types are not instantiated: the plain path does no
// extra work.
#pragma once

#include <asio/awaitable.hpp>
#include <string>

#include "proxy/relay.h"
#include "proxy/statement_audit.h"
#include "proxy/ticket_wait.h"
#include "proxy/wire/error.h"

namespace proxy {

template <class Inner>
struct AuditedFrontendObserver {
  Inner& inner;
  StatementAudit& audit;
  std::optional<audit::Ticket> held{};
  Verdict held_verdict = Verdict::kForward;   // the inner observer's decision for the held message
  std::string held_replacement{};
  char held_type = 0;

  Verdict on_message(char type, pgwire::Bytes body, bool complete, std::string& replacement) {
    if (complete) held = audit.on_frontend(type, body);
    held_type = type;
    // The inner observer decides now (statement rules, masking's injected Describe); its verdict
    // applies once the statement may proceed. If it is refused instead, the inner bookkeeping
    // still matches: the substitute is answered like the original (a Query by E+Z; an Execute by
    // one error, after which the server skips to Sync and the masked relay forgets its Describe).
    const Verdict verdict = inner.on_message(type, body, complete, replacement);
    if (!held) return verdict;
    held_verdict = verdict;
    held_replacement = std::move(replacement);
    replacement.clear();
    // Already decided (every sink accepted it at once: buffered, or written on this thread): no
    // hold, so the statement leaves in the same write as the messages around it.
    if (held->done()) return settle(replacement);
    return Verdict::kHold;
  }

  asio::awaitable<Verdict> resume(char, pgwire::Bytes, std::string& replacement) {
    co_await wait_for_ticket(*held);
    co_return settle(replacement);
  }

  // The held statement's ticket is done: forward it (with the inner verdict) or refuse it.
  Verdict settle(std::string& replacement) {
    const audit::Outcome outcome = held->outcome();
    const std::string why = outcome == audit::Outcome::kRecorded ? std::string() : held->error();
    const char type = held_type;
    held.reset();
    if (outcome == audit::Outcome::kRecorded || outcome == audit::Outcome::kDropped) {
      if (outcome == audit::Outcome::kDropped) {
        audit.proceed_unrecorded(why);
      } else {
        audit.proceed();
      }
      if (held_verdict == Verdict::kReplace) replacement = std::move(held_replacement);
      return held_verdict;
    }
    replacement = audit.refuse(type, why);
    return Verdict::kReplace;
  }

  // Statements are analysed whole (they are bounded by limits.max_message_size).
  bool needs_whole(char type) const {
    return type == 'Q' || type == 'P' || type == 'B' || type == 'E' || type == 'F' || inner.needs_whole(type);
  }
};

template <class Inner>
struct AuditedBackendObserver {
  Inner& inner;
  StatementAudit& audit;

  Verdict on_message(char type, pgwire::Bytes body, bool complete, std::string& replacement) {
    Verdict verdict = inner.on_message(type, body, complete, replacement);
    if (type == 'E' && complete && audit.refusals_pending()) {
      auto fields = pgwire::parse_error_fields(body);
      std::string ours;
      if (fields && audit.swap_error(*fields, ours)) {
        replacement = std::move(ours);
        verdict = Verdict::kReplace;
      }
    }
    // The audit sees what the client gets: a swapped error's SQLSTATE, not the substitute's.
    const bool replaced = verdict == Verdict::kReplace;
    if (replaced && type == 'E' && replacement.size() > 5 && replacement[0] == 'E') {
      audit.on_backend(type, pgwire::as_bytes(std::string_view(replacement).substr(5)));
    } else {
      audit.on_backend(type, body);
    }
    audit.sent_to_client(replaced ? replacement.size() : 5 + body.size());
    return verdict;
  }
  // Errors and command tags are read whole (they are small).
  bool needs_whole(char type) const { return type == 'E' || type == 'C' || inner.needs_whole(type); }
};

}  // namespace proxy
