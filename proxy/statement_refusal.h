// Refusing one frontend request so that the *server* raises the refusal (PROTOCOL.md rule 22).
//
// The refused Query, Parse or FunctionCall is replaced by a request the server rejects while
// parsing it: one unknown word, "pgveil_refused_<session token>_<n>". The server answers it where
// it would have answered the original, and as it answers any error there: at that point of a
// pipeline, skipping what follows up to Sync, aborting a transaction block (status E) or the
// implicit transaction of the pipeline segment, then one ReadyForQuery. So reply order and
// transaction state stay the server's, with nothing for pgveil to fake. The server's 42601
// ErrorResponse names the word; swap_error() puts the proxy's error in its place. When the server
// skips the substitute (an earlier error in the same segment) the client sees only the earlier
// error, exactly as without pgveil, and the refusal is dropped. Pure: no I/O.
//
// Shared by everything that refuses statements in the relay (statement rules, the audit log
// when it cannot record).
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <utility>

#include "proxy/wire/bytes.h"
#include "proxy/wire/error.h"

namespace proxy {

class RequestRefusals {
 public:
  RequestRefusals();   // a random token per session, so a client's own typo cannot match

  // Appends to `out` what to send upstream instead of the refused frontend message `type`: 'Q'
  // and 'F' become a Query, 'P' a Parse of the same statement name (`body` is the Parse's). The
  // client gets `error` in the server's answer. Returns false (nothing appended) for any other
  // type or a malformed Parse, which the caller must not forward either.
  bool substitute(char type, pgwire::Bytes body, pgwire::ErrorFields error, std::string& out);

  bool pending() const { return !pending_.empty(); }
  // A backend ErrorResponse: if it answers a substitute, appends the refusal's ErrorResponse to
  // `out` and returns true. Refusals the server skipped (older ones) are dropped.
  bool swap_error(const pgwire::ErrorFields& server_error, std::string& out);

 private:
  std::string token_;        // "pgveil_refused_<16 hex digits>_"
  std::uint64_t next_ = 0;
  std::deque<std::pair<std::uint64_t, pgwire::ErrorFields>> pending_;
};

}  // namespace proxy
