#include "policy/workflow.h"

#include <fmt/format.h>

#include <algorithm>

#include "policy/time_format.h"

namespace policy {
namespace {

using Kind = Refusal::Kind;

std::unexpected<Refusal> refuse(Kind kind, std::string message, std::string hint = {}) {
  return std::unexpected(Refusal{kind, std::move(message), std::move(hint)});
}

std::string groups_text(const std::vector<std::string>& groups) {
  if (groups.empty()) return "none";
  std::string out;
  for (const auto& g : groups) out += (out.empty() ? "" : ", ") + g;
  return out;
}

bool is_requester_of(const Grant& grant, const Actor& actor) {
  return actor.name == grant.person || actor.name == grant.created_by;
}

std::unexpected<Refusal> wrong_state(const Grant& grant, TimePoint now, std::string_view verb) {
  return refuse(Kind::kConflict,
                fmt::format("cannot {} grant {}: it is {}", verb, grant.id, to_string(state_at(grant, now))));
}

std::expected<Change, Refusal> approve(const Grant& grant, const RoleRules* role, const Actor& actor, TimePoint now) {
  if (is_requester_of(grant, actor)) {
    return refuse(Kind::kForbidden,
                  fmt::format("{} cannot approve grant {}: a requester can never approve their own request",
                              actor.name, grant.id),
                  "Ask someone in the role's approver groups to approve it.");
  }
  if (role == nullptr) {
    return refuse(Kind::kConflict, fmt::format("cannot approve grant {}: role \"{}\" is no longer configured",
                                               grant.id, grant.role),
                  "Deny it; the requester can ask again for a configured role.");
  }
  if (!actor.in_any(role->approvers)) {
    return refuse(Kind::kForbidden,
                  fmt::format("{} cannot approve grant {}: approving role \"{}\" needs membership of one of its "
                              "approver groups ({})",
                              actor.name, grant.id, role->name, groups_text(role->approvers)),
                  "Ask someone in those groups to approve it.");
  }
  if (state_at(grant, now) != GrantState::kRequested) return wrong_state(grant, now, "approve");
  if (grant.approved_by(actor.name)) {
    return refuse(Kind::kConflict, fmt::format("{} has already approved grant {} ({} of {} approvals)", actor.name,
                                               grant.id, grant.approvals(), grant.approvals_required),
                  "Another approver must approve it too.");
  }
  Change change{GrantStatus::kRequested, GrantEvent{now, actor.name, "approve", ""}, {}, {}, false};
  if (grant.approvals() + 1 >= grant.approvals_required) {
    auto [from, to] = approval_window(grant, now);
    change.status = GrantStatus::kApproved;
    change.not_before = from;
    change.not_after = to;
    change.supersede = true;
  }
  return change;
}

std::expected<Change, Refusal> deny(const Grant& grant, const RoleRules* role, const Actor& actor,
                                    std::string_view reason, TimePoint now) {
  if (is_requester_of(grant, actor) && !actor.admin) {
    return refuse(Kind::kForbidden, fmt::format("{} cannot deny their own request {}", actor.name, grant.id),
                  fmt::format("Withdraw it instead: pgveil cancel {}", grant.id));
  }
  if (!actor.admin && (role == nullptr || !actor.in_any(role->approvers))) {
    return refuse(Kind::kForbidden,
                  fmt::format("{} cannot deny grant {}: only the approver groups of role \"{}\" ({}) or an admin "
                              "may",
                              actor.name, grant.id, grant.role, role ? groups_text(role->approvers) : "none"));
  }
  if (state_at(grant, now) != GrantState::kRequested) return wrong_state(grant, now, "deny");
  return Change{GrantStatus::kDenied, GrantEvent{now, actor.name, "deny", std::string(reason)}, {}, {}, false};
}

std::expected<Change, Refusal> cancel(const Grant& grant, const Actor& actor, std::string_view reason, TimePoint now) {
  if (!is_requester_of(grant, actor) && !actor.admin) {
    return refuse(Kind::kForbidden,
                  fmt::format("{} cannot cancel grant {}: only its requester ({}) or an admin may", actor.name,
                              grant.id, grant.person),
                  "Approvers deny requests (pgveil deny) or revoke grants (pgveil revoke).");
  }
  // Once access has started, ending it is a revocation (it ends live sessions, and says so).
  const GrantState s = state_at(grant, now);
  if (s != GrantState::kRequested && s != GrantState::kScheduled) {
    return refuse(Kind::kConflict, fmt::format("cannot cancel grant {}: it is {}", grant.id, to_string(s)),
                  s == GrantState::kActive ? fmt::format("End it with: pgveil revoke {} --reason \"…\"", grant.id)
                                           : std::string());
  }
  return Change{GrantStatus::kCancelled,
                GrantEvent{now, actor.name, "cancel", reason.empty() ? "cancelled by requester" : std::string(reason)},
                {}, {}, false};
}

std::expected<Change, Refusal> revoke(const Grant& grant, const RoleRules* role, const Actor& actor,
                                      std::string_view reason, TimePoint now) {
  // Giving up one's own access is always allowed; ending someone else's takes an approver or admin.
  const bool own = actor.name == grant.person;
  if (!own && !actor.admin && (role == nullptr || !actor.in_any(role->approvers))) {
    return refuse(Kind::kForbidden,
                  fmt::format("{} cannot revoke grant {}: only its holder, the approver groups of role \"{}\" ({}) "
                              "or an admin may",
                              actor.name, grant.id, grant.role, role ? groups_text(role->approvers) : "none"));
  }
  const GrantState s = state_at(grant, now);
  if (s != GrantState::kScheduled && s != GrantState::kActive) {
    return refuse(Kind::kConflict, fmt::format("cannot revoke grant {}: it is {}", grant.id, to_string(s)),
                  s == GrantState::kRequested ? fmt::format("Deny it (pgveil deny {}) or cancel it.", grant.id)
                                              : std::string());
  }
  return Change{GrantStatus::kRevoked, GrantEvent{now, actor.name, "revoke", std::string(reason)}, {}, {}, false};
}

}  // namespace

bool Actor::in_any(const std::vector<std::string>& wanted) const {
  return std::ranges::any_of(groups, [&](const std::string& g) { return std::ranges::find(wanted, g) != wanted.end(); });
}

std::string_view to_string(Refusal::Kind kind) {
  switch (kind) {
    case Kind::kInvalid: return "invalid";
    case Kind::kForbidden: return "forbidden";
    case Kind::kConflict: return "conflict";
    case Kind::kNotFound: return "not_found";
    case Kind::kInternal: return "internal";
  }
  return "unknown";
}

std::string_view to_string(Action action) {
  switch (action) {
    case Action::kApprove: return "approve";
    case Action::kDeny: return "deny";
    case Action::kCancel: return "cancel";
    case Action::kRevoke: return "revoke";
  }
  return "unknown";
}

std::pair<TimePoint, TimePoint> approval_window(const Grant& grant, TimePoint now) {
  const TimePoint from = grant.requested_start && *grant.requested_start > now ? *grant.requested_start : now;
  return {from, from + grant.duration};
}

std::expected<Grant, Refusal> plan_request(const Actor& requester, const RoleRules* role,
                                           const AccessRequest& request, TimePoint now) {
  if (request.reason.empty()) {
    return refuse(Kind::kInvalid, "a reason is required (a ticket or incident reference)",
                  "Add --reason \"INC-123 …\".");
  }
  if (role == nullptr) return refuse(Kind::kNotFound, fmt::format("there is no role \"{}\"", request.role));
  if (std::ranges::find(role->databases, request.database) == role->databases.end()) {
    return refuse(Kind::kInvalid, fmt::format("role \"{}\" does not cover database \"{}\" (it covers: {})",
                                              role->name, request.database, groups_text(role->databases)));
  }
  if (requester.admin) {
    return refuse(Kind::kForbidden, "the admin token cannot request access: requests are made by people",
                  "Issue a personal token (pgveil token issue NAME) and request with it.");
  }
  if (!requester.in_any(role->requesters)) {
    return refuse(Kind::kForbidden,
                  fmt::format("{} may not request role \"{}\": requesting needs membership of one of its requester "
                              "groups ({})",
                              requester.name, role->name, groups_text(role->requesters)),
                  "Ask an SRE to add you to a requester group, or request another role.");
  }
  if (request.duration <= std::chrono::seconds{0}) {
    return refuse(Kind::kInvalid, "the duration must be positive (e.g. 30m, 2h)");
  }
  if (request.duration > role->max_duration) {
    return refuse(Kind::kInvalid, fmt::format("{} exceeds role \"{}\"'s max_duration of {}",
                                              format_duration(request.duration), role->name,
                                              format_duration(role->max_duration)),
                  fmt::format("Ask for at most {}.", format_duration(role->max_duration)));
  }
  if (request.start && *request.start + request.duration <= now) {
    return refuse(Kind::kInvalid, fmt::format("the requested window ends ({}) before now",
                                              format_time(*request.start + request.duration)));
  }
  Grant grant;
  grant.person = requester.name;
  grant.database = request.database;
  grant.role = role->name;
  grant.reason = request.reason;
  grant.created_by = requester.name;
  grant.created_at = now;
  grant.status = GrantStatus::kRequested;
  grant.duration = request.duration;
  grant.requested_start = request.start;
  grant.approvals_required = std::max(1, role->approvals);
  grant.history.push_back({now, requester.name, "request", request.reason});
  const auto it = std::ranges::find_if(role->auto_approve, [&](const std::string& g) {
    return std::ranges::find(requester.groups, g) != requester.groups.end();
  });
  if (it != role->auto_approve.end()) {
    // Still recorded as its own step, so reports show that nobody looked at it.
    grant.history.push_back({now, "pgveil", "auto-approve",
                             fmt::format("role \"{}\" auto-approves group {}", role->name, *it)});
    grant.status = GrantStatus::kApproved;
    std::tie(grant.not_before, grant.not_after) = approval_window(grant, now);
  }
  return grant;
}

std::expected<Change, Refusal> plan_change(const Grant& grant, const RoleRules* role, const Actor& actor,
                                           Action action, std::string_view reason, TimePoint now) {
  if ((action == Action::kDeny || action == Action::kRevoke) && reason.empty()) {
    return refuse(Kind::kInvalid, fmt::format("a reason is required to {} grant {}", to_string(action), grant.id),
                  "Add --reason \"…\"; the requester and the audit log see it.");
  }
  switch (action) {
    case Action::kApprove: return approve(grant, role, actor, now);
    case Action::kDeny: return deny(grant, role, actor, reason, now);
    case Action::kCancel: return cancel(grant, actor, reason, now);
    case Action::kRevoke: return revoke(grant, role, actor, reason, now);
  }
  return refuse(Kind::kInvalid, "unknown action");
}

std::expected<void, Refusal> check_secret_claim(const Grant& grant, const Actor& actor, TimePoint now) {
  if (actor.name != grant.person || actor.admin) {
    return refuse(Kind::kForbidden, fmt::format("only {} can collect the connection secret of grant {}",
                                                grant.person, grant.id));
  }
  const GrantState s = state_at(grant, now);
  if (s == GrantState::kRequested) {
    return refuse(Kind::kConflict, fmt::format("grant {} is not approved yet ({} of {} approvals)", grant.id,
                                               grant.approvals(), grant.approvals_required),
                  fmt::format("Wait for approval: pgveil grants --person {}", grant.person));
  }
  if (s != GrantState::kScheduled && s != GrantState::kActive) return wrong_state(grant, now, "connect with");
  if (!grant.verifier.empty()) {
    return refuse(Kind::kConflict,
                  fmt::format("the connection secret of grant {} was already handed out (it is shown once)", grant.id),
                  "Use the secret you were given, or revoke this grant and request a new one.");
  }
  return {};
}

}  // namespace policy
