// Grant lifecycle events in the audit log (issue #5 point 1), taken from the grant store's own
// history rather than from each code path that changes a grant: the admin API, `pgveil grant
// create|revoke` (another process, writing the store directly), another proxy sharing the store,
// supersession (a side effect of an approval) and expiry (record_expiries) all end up as history
// entries, and the serving proxy's grant watcher turns every entry it has not written yet into
// one event, dated when the step happened, into the same Writer (and hash chain) as sessions.
//
// What is in the history when the proxy starts is taken as already audited (prime): steps made
// while no proxy runs stay in the store's history (`pgveil grant list --json`) only.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "audit/event.h"
#include "policy/grant.h"

namespace proxy {

// The audit event for history entry `index` of `grant` (approval k of n counted up to that entry).
audit::Event grant_history_event(const policy::Grant& grant, std::size_t index);

class GrantAuditTrail {
 public:
  // Marks everything `grants` already hold as written.
  void prime(const std::vector<policy::Grant>& grants);
  // The events of history entries not seen before, oldest first; marks them seen.
  std::vector<audit::Event> take_new(const std::vector<policy::Grant>& grants);

 private:
  std::map<std::int64_t, std::size_t> seen_;  // grant id -> history entries already written
};

}  // namespace proxy
