// The access workflow's decisions (issue #3): who may request, approve, deny, cancel and revoke
// a grant, and what each step changes. Pure: the caller passes the grant as stored, the role's
// rules from the configuration, the actor and the clock reading; GrantStore applies the result
// inside one transaction, so concurrent approvals are decided one after the other on fresh data.
//
// Separation of duties: a requester never approves their own request; approving needs membership
// of one of the role's approver groups (an admin token is not enough). Anything that only reduces
// access (deny, revoke, cancel) an admin may also do.
#pragma once

#include <chrono>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/grant.h"

namespace policy {

// Who asks: a person (by API token, with their groups from the configuration) or the admin.
struct Actor {
  std::string name;  // person name; "admin" for the bootstrap token
  std::vector<std::string> groups;
  bool admin = false;
  bool in_any(const std::vector<std::string>& groups) const;
};

// The parts of a configured role the workflow decides with.
struct RoleRules {
  std::string name;
  std::vector<std::string> databases, requesters, approvers, auto_approve;  // group names
  int approvals = 1;
  std::chrono::seconds max_duration{4 * 3600};
};

// Why a step was refused. The kind maps to an HTTP status and a CLI exit code.
struct Refusal {
  enum class Kind {
    kInvalid,    // bad input: missing reason, duration too long (HTTP 400, exit 2)
    kForbidden,  // the policy says no: self-approval, not an approver (HTTP 403, exit 3)
    kConflict,   // wrong state: already approved, already ended (HTTP 409, exit 3)
    kNotFound,   // no such grant / role (HTTP 404, exit 1)
    kInternal,   // the store failed (HTTP 500, exit 1)
  } kind;
  std::string message;
  std::string hint;  // the next step, may be empty
};
std::string_view to_string(Refusal::Kind kind);

struct AccessRequest {
  std::string database, role, reason;
  std::chrono::seconds duration{0};
  std::optional<TimePoint> start;  // scheduled access; nullopt = as soon as approved
};

// The grant to insert (id 0), with its first event(s) in history. When the role auto-approves
// the requester, the grant is already approved (status kApproved, window set) and supersedes
// the requester's other live grants on that database.
std::expected<Grant, Refusal> plan_request(const Actor& requester, const RoleRules* role,
                                           const AccessRequest& request, TimePoint now);

enum class Action { kApprove, kDeny, kCancel, kRevoke };
std::string_view to_string(Action action);

// What one step does to a stored grant.
struct Change {
  GrantStatus status;  // new status (kRequested again when more approvals are needed)
  GrantEvent event;
  std::optional<TimePoint> not_before, not_after;  // set when the grant becomes approved
  bool supersede = false;                          // end the person's other live grants there
};

// `role` is the grant's role in the current configuration (nullptr if it is gone: then nothing
// can be approved, but it can still be denied, cancelled or revoked).
std::expected<Change, Refusal> plan_change(const Grant& grant, const RoleRules* role, const Actor& actor,
                                           Action action, std::string_view reason, TimePoint now);

// May `actor` collect the connection secret of `grant` now? Only the grant's person, once, while
// the grant is approved and not ended.
std::expected<void, Refusal> check_secret_claim(const Grant& grant, const Actor& actor, TimePoint now);

// The window an approval at `now` opens: from the requested start (or now, if that has passed)
// for the requested duration. Access time never starts at request time.
std::pair<TimePoint, TimePoint> approval_window(const Grant& grant, TimePoint now);

}  // namespace policy
