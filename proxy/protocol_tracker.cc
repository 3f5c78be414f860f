#include "proxy/protocol_tracker.h"

#include <algorithm>

namespace proxy {

std::size_t ProtocolTracker::pending() const {
  return static_cast<std::size_t>(std::count_if(pending_.begin(), pending_.end(),
                                                [](char t) { return t != 'c' && t != 'f'; }));
}

void ProtocolTracker::on_frontend(char type) {
  switch (type) {
    case 'Q':
    case 'F':
      pending_.push_back(type);
      break;
    case 'S':
      // During COPY FROM STDIN the server ignores Sync (and Flush) "for the convenience of
      // client libraries that may send those without noticing that the command was COPY"
      // (copyfromparse.c; PROTOCOL.md rule 24): such a Sync gets no ReadyForQuery.
      if (!skip_syncs_) pending_.push_back(type);
      break;
    case 'c':
    case 'f':
      if (skip_syncs_) {
        skip_syncs_ = false;
      } else if (!pending_.empty()) {
        pending_.push_back(type);   // sent before we saw CopyInResponse; resolved in on_backend
      }
      break;
    default:
      break;
  }
}

void ProtocolTracker::on_backend(char type, char status) {
  switch (type) {
    case 'Z':
      // Drop copy-end markers that precede the answered request, then the request itself.
      while (!pending_.empty() && (pending_.front() == 'c' || pending_.front() == 'f')) pending_.pop_front();
      if (!pending_.empty()) pending_.pop_front();
      if (status == 'I' || status == 'T' || status == 'E') tx_status_ = status;
      copy_in_ = copy_out_ = false;
      break;
    case 'G': {
      copy_in_ = true;
      // A simple Query stays at the head (its ReadyForQuery follows the COPY). In the extended
      // protocol the head is the Sync after the COPY's Execute: it and any further Sync sent
      // before CopyDone/CopyFail were swallowed by the server.
      auto it = pending_.begin();
      if (it != pending_.end() && *it == 'Q') ++it;
      while (it != pending_.end() && *it == 'S') it = pending_.erase(it);
      if (it != pending_.end() && (*it == 'c' || *it == 'f')) {
        pending_.erase(it);
      } else {
        skip_syncs_ = true;
      }
      break;
    }
    case 'E':
      // An error ends COPY FROM on the server side; later Syncs are answered again.
      if (copy_in_) copy_in_ = skip_syncs_ = false;
      break;
    case 'H':
      copy_out_ = true;
      break;
    case 'c':
      copy_out_ = false;
      break;
    default:
      break;
  }
}

}  // namespace proxy
