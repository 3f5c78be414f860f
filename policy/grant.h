// A grant: time-bound permission for one person to use one role on one database.
//
// Grants are the unit of just-in-time access (DESIGN.md): a session is admitted only while the
// grant naming its (person, database) is active, and the client authenticates with the grant's
// secret, of which only a SCRAM-SHA-256 verifier is ever stored.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace policy {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;
// Injected clock: production passes Clock::now, tests a fake, so every decision is reproducible.
using Now = std::function<TimePoint()>;

struct Grant {
  std::int64_t id = 0;
  std::string person, database, role, reason;
  std::string created_by;  // operator / approver identity ("cli:root" for now)
  TimePoint created_at{}, not_before{}, not_after{};
  std::optional<TimePoint> revoked_at;
  std::string revoked_by, revoke_reason;
  std::string verifier;  // SCRAM-SHA-256 verifier of the grant secret (never the secret)

  friend bool operator==(const Grant&, const Grant&) = default;
};

enum class GrantState { kScheduled, kActive, kExpired, kRevoked };

// The state of `grant` at `now`. The validity window is half-open, [not_before, not_after): a
// grant "for 1h" from 17:00 admits at 17:00:00 and refuses at 18:00:00.
//
// A revoked grant is kRevoked whatever `now` is, even if `now` precedes revoked_at: several
// proxies and the CLI share one store and their clocks drift, and a revocation must never be
// undone by a clock that is a little behind (fail closed, DESIGN.md).
GrantState state_at(const Grant& grant, TimePoint now);

std::string_view to_string(GrantState state);

// What an operator (later: an approved request) asks for.
struct NewGrant {
  std::string person, database, role, reason, created_by;
  TimePoint not_before, not_after;
};

// The result of GrantStore::issue. The secret is shown once to whoever issued the grant and is
// never stored: only grant.verifier is.
struct IssuedGrant {
  Grant grant;
  std::string secret;
};

}  // namespace policy
