// Admission: may this person open a session on this database now, and if not, why not and
// what to do about it.
//
// Pure: the caller looks the grant up (GrantStore::find_for) and passes the clock reading, so the
// decision is reproducible in tests and the same code decides at startup and on re-checks.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "policy/grant.h"

namespace policy {

// SQLSTATE for every refusal: invalid_authorization_specification, what PostgreSQL itself
// answers when pg_hba.conf has no entry for a user/database (PG docs, Appendix A).
inline constexpr std::string_view kRefusalSqlstate = "28000";

struct Admission {
  enum class Outcome {
    kAdmitted, kNoGrant, kScheduled, kExpired, kRevoked,
    kPending,    // requested, not (yet) approved
    kDenied, kCancelled,
    kNoSecret,   // approved and active, but its requester has not collected the secret yet
  } outcome;
  std::optional<Grant> grant;  // the grant the decision is about, if one was found
  std::string sqlstate;        // "" when admitted, else "28000"
  std::string message;         // names the grant, its user and database, and when/why it ended
  std::string hint;            // the next step: the command that gets access

  bool admitted() const { return outcome == Outcome::kAdmitted; }
};

std::string_view to_string(Admission::Outcome outcome);

// `found` is what GrantStore::find_for returned for (person, database) at `now`. A grant for
// another person or database is treated as no grant at all (fail closed on a caller's mistake).
Admission decide_admission(std::string_view person, std::string_view database,
                           const std::optional<Grant>& found, TimePoint now);

}  // namespace policy
