// A grant: time-bound permission for one person to use one role on one database.
//
// Grants are the unit of just-in-time access (DESIGN.md): a session is admitted only while the
// grant naming its (person, database) is active, and the client authenticates with the grant's
// secret, of which only a SCRAM-SHA-256 verifier is ever stored.
//
// Lifecycle (issue #3): requested -> approved (then scheduled -> active -> expired by the clock),
// or denied / cancelled / revoked; a request nobody approves before its deadline
// (workflow.request_ttl) expires. The stored GrantStatus is what people decided; GrantState adds
// what the clock says about an approved grant.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace policy {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;
// Injected clock: production passes Clock::now, tests a fake, so every decision is reproducible.
using Now = std::function<TimePoint()>;

enum class GrantStatus { kRequested, kApproved, kDenied, kCancelled, kRevoked };
std::string_view to_string(GrantStatus status);
std::optional<GrantStatus> parse_grant_status(std::string_view text);

// One transition (or an approval that counts toward one): who, when, why. Actions: "request",
// "issue" (operator shortcut), "approve", "auto-approve", "deny", "cancel", "revoke",
// "secret" (the requester collected the connection secret), "expire", "supersede" (a scheduled
// grant will replace this one: its window was cut to end when that one starts).
struct GrantEvent {
  TimePoint at{};
  std::string actor, action, reason;
  friend bool operator==(const GrantEvent&, const GrantEvent&) = default;
};

struct Grant {
  std::int64_t id = 0;
  std::string person, database, role, reason;
  std::string created_by;  // the requester, or the operator who issued it
  TimePoint created_at{};
  GrantStatus status = GrantStatus::kApproved;
  std::chrono::seconds duration{0};          // asked for; the window is set at approval
  std::optional<TimePoint> requested_start;  // scheduled access: not before this
  int approvals_required = 1;
  TimePoint not_before{}, not_after{};  // meaningful once approved (zero before)
  std::optional<TimePoint> revoked_at;
  std::string revoked_by, revoke_reason;
  std::optional<TimePoint> request_expires_at;  // a request not approved by then has expired
  std::string verifier;  // SCRAM-SHA-256 verifier of the grant secret (never the secret); "" = not collected
  std::vector<GrantEvent> history;  // oldest first

  // Distinct people who approved (auto-approval counts as every approval the role needs).
  int approvals() const;
  bool approved_by(std::string_view actor) const;

  friend bool operator==(const Grant&, const Grant&) = default;
};

enum class GrantState { kRequested, kScheduled, kActive, kExpired, kDenied, kCancelled, kRevoked };

// The state of `grant` at `now`. The validity window is half-open, [not_before, not_after): a
// grant "for 1h" from 17:00 admits at 17:00:00 and refuses at 18:00:00.
//
// A request is kExpired from its request_expires_at on: it can no longer be approved.
//
// A revoked grant is kRevoked whatever `now` is, even if `now` precedes revoked_at: several
// proxies and the CLI share one store and their clocks drift, and a revocation must never be
// undone by a clock that is a little behind (fail closed, DESIGN.md).
GrantState state_at(const Grant& grant, TimePoint now);

std::string_view to_string(GrantState state);
std::optional<GrantState> parse_grant_state(std::string_view text);

// What an operator asks for with `pgveil grant create` (approved at once, no workflow).
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
