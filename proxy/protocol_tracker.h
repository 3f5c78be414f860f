// Follows a session's conversation from both sides to know, without parsing bodies, whether a
// request is running upstream and in which transaction state the server is. Pure: fed message
// types, no I/O. Both relay directions of a session run on one thread and share it.
#pragma once

#include <cstddef>
#include <deque>

namespace proxy {

class ProtocolTracker {
 public:
  // Frontend message forwarded upstream.
  void on_frontend(char type);
  // Backend message forwarded to the client; `status` is ReadyForQuery's byte, else ignored.
  void on_backend(char type, char status = 0);

  // True while the server owes the client a ReadyForQuery: a Query, FunctionCall or Sync has been
  // sent whose ReadyForQuery has not come back (so a running query can be cancelled).
  bool busy() const { return !pending_.empty(); }
  std::size_t pending() const;
  char transaction_status() const { return tx_status_; }   // 'I', 'T' or 'E'
  bool copy_in() const { return copy_in_; }
  bool copy_out() const { return copy_out_; }

 private:
  // One entry per frontend message that will be answered by a ReadyForQuery ('Q', 'F', 'S'),
  // plus the copy-end markers ('c', 'f') needed to know which Syncs a COPY FROM swallowed.
  std::deque<char> pending_;
  bool copy_in_ = false;
  bool skip_syncs_ = false;   // COPY FROM running and its CopyDone/CopyFail not yet sent
  bool copy_out_ = false;
  char tx_status_ = 'I';
};

}  // namespace proxy
