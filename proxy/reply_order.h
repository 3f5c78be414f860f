// Which RowDescription/NoData answers which Describe, in a masked session.
//
// Masking needs the description of every portal whose rows it rewrites, with the result formats
// Bind chose, and a client may Execute a portal it never Described (PROTOCOL.md 18-19). So a
// masked session sends its own Describe(portal) right before each Execute and must swallow the
// answer, which arrives in request order among the client's own answers. This class mirrors that
// order, and carries for each answer whether its statement may compute a result column from a
// masked column (the "derived" flag, from the statement's SQL). After an ErrorResponse the server skips extended-protocol messages up to Sync, so the
// Describes of that stretch get no answer and are dropped here too. Pure: fed message kinds.
#pragma once

#include <deque>

namespace proxy {

class ReplyOrder {
 public:
  // Frontend messages, in the order they are sent upstream.
  // derived: the statement may compute values from masked columns; copy_unsafe: a COPY TO of it
  // may carry masked columns (derived, a star, or a whole table).
  void on_query(bool derived = false, bool copy_unsafe = false) {
    pending_.push_back({Kind::kQuery, derived, copy_unsafe});
  }
  void on_describe(bool injected, bool derived = false, bool copy_unsafe = false) {
    pending_.push_back({injected ? Kind::kInjected : Kind::kDescribe, derived, copy_unsafe});
  }
  void on_sync() { pending_.push_back({Kind::kSync, false, false}); }   // 'S'

  struct Answer {
    bool ours = false;      // answers one of pgveil's own Describes: swallow it
    bool derived = false;   // its statement may derive values from masked columns
  };
  // Backend messages. on_description: a RowDescription or NoData.
  Answer on_description();
  void on_error();
  // CopyOutResponse: whether the COPY that started may carry masked columns (unknown: true).
  bool copy_unsafe() const;
  void on_ready();   // ReadyForQuery

  bool empty() const { return pending_.empty(); }

 private:
  enum class Kind { kQuery, kDescribe, kInjected, kSync };
  struct Entry {
    Kind kind;
    bool derived;
    bool copy_unsafe;
  };
  std::deque<Entry> pending_;
  bool last_copy_unsafe_ = true;   // of the Describe answered last (an Execute's COPY follows it)
};

}  // namespace proxy
