// Which RowDescription/NoData answers which Describe, in a masked session.
//
// Masking needs the description of every portal whose rows it rewrites, with the result formats
// Bind chose, and a client may Execute a portal it never Described (PROTOCOL.md 18-19). So a
// masked session sends its own Describe(portal) right before each Execute and must swallow the
// answer, which arrives in request order among the client's own answers. This class mirrors that
// order, and carries for each answer its statement's risk (statement_risk.h: may it compute a
// result column from a masked column, is it refused whole). After an ErrorResponse the server
// skips extended-protocol messages up to Sync, so the Describes of that stretch get no answer
// and are dropped here too. Pure: fed message kinds.
#pragma once

#include <deque>

#include "proxy/statement_risk.h"

namespace proxy {

class ReplyOrder {
 public:
  // Frontend messages, in the order they are sent upstream.
  void on_query(SqlRisk risk = SqlRisk::safe()) { pending_.push_back({Kind::kQuery, std::move(risk)}); }
  void on_describe(bool injected, SqlRisk risk = SqlRisk::safe()) {
    pending_.push_back({injected ? Kind::kInjected : Kind::kDescribe, std::move(risk)});
  }
  void on_sync() { pending_.push_back({Kind::kSync, SqlRisk::safe()}); }   // 'S'

  struct Answer {
    bool ours = false;      // answers one of pgveil's own Describes: swallow it
    bool derived = false;   // its statement may derive values from masked columns
    std::string refusal;    // non-empty: its statement's results are refused whole
  };
  // Backend messages. on_description: a RowDescription or NoData.
  Answer on_description();
  void on_error();
  // CopyOutResponse: whether the COPY that started may carry masked columns (unknown: true).
  bool copy_unsafe() const;
  // The statement whose replies arrive now: a simple Query's, or the last one Described or
  // Executed since ReadyForQuery (none yet: safe, as Parse/Bind errors quote only client input).
  const SqlRisk& current() const;
  void on_ready();   // ReadyForQuery

  bool empty() const { return pending_.empty(); }

 private:
  enum class Kind { kQuery, kDescribe, kInjected, kSync };
  struct Entry {
    Kind kind;
    SqlRisk risk;
  };
  std::deque<Entry> pending_;
  SqlRisk last_ = SqlRisk::safe();   // of the Describe answered last (an Execute's rows, COPY or errors follow it)
  bool answered_ = false;            // last_ is of this cycle (since ReadyForQuery)
};

}  // namespace proxy
