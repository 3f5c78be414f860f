// Which backend reply ends which audited statement (issue #5: statement_done).
//
// The server answers frontend messages in order (PROTOCOL.md 17), so a FIFO of what was sent,
// popped by what comes back, pairs them: ParseComplete/BindComplete/CloseComplete pop their
// message, RowDescription/NoData a Describe, CommandComplete/EmptyQueryResponse/PortalSuspended
// an Execute, ReadyForQuery a Sync or a Query. After an error in the extended protocol the server
// discards everything up to Sync (rule 22): those entries are popped, and an Execute among them
// ends with that error's SQLSTATE, as it never ran. COPY FROM in the extended protocol swallows
// the Syncs sent before CopyDone/CopyFail (rule 24). Pure: fed message types and bodies.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "proxy/wire/bytes.h"

namespace proxy {

class AuditReplies {
 public:
  using Time = std::chrono::steady_clock::time_point;

  struct Done {
    std::uint64_t id = 0;
    Time started{};
    std::uint64_t rows = 0, bytes = 0;  // rows: DataRows, or the command tag's count without them
    std::string tag;                    // CommandComplete tag of the (last) command
    std::optional<std::string> sqlstate;
  };

  // A frontend message forwarded upstream other than a statement: Parse, Bind, Close, Describe,
  // Sync, CopyDone, CopyFail (others need no reply tracking).
  void on_frontend(char type);
  // A Query, Execute or FunctionCall forwarded upstream that runs statement `id`. A statement
  // the server will discard (after an extended-protocol error, before Sync) is done at once.
  void on_statement(char type, std::uint64_t id, Time started, std::vector<Done>& done);
  // A backend message, as the client gets it (an ErrorResponse after pgveil swapped in its own
  // refusal). Appends the statements it ends to `done`.
  void on_backend(char type, pgwire::Bytes body, std::vector<Done>& done);

  bool empty() const { return pending_.empty(); }

 private:
  struct Entry {
    char type;  // frontend type: 'P' 'B' 'C' 'D' 'S' 'Q' 'E' 'F'
    Done stmt;  // 'Q' 'E' 'F'
    std::uint64_t result_rows = 0;  // DataRows since the last CommandComplete
  };
  static bool is_statement(char type) { return type == 'Q' || type == 'E' || type == 'F'; }
  void finish(std::vector<Done>& done);   // pops the front statement into `done`
  void on_error(pgwire::Bytes body, std::vector<Done>& done);

  std::deque<Entry> pending_;
  bool skipping_ = false;   // the server discards until Sync, and no Sync is pending yet
  std::string skip_sqlstate_;
  bool copy_in_ = false;    // extended-protocol COPY FROM running: Syncs are ignored
};

}  // namespace proxy
