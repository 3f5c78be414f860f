#include "policy/grant.h"

#include <algorithm>
#include <set>

namespace policy {

int Grant::approvals() const {
  std::set<std::string_view> by;
  for (const auto& e : history) {
    if (e.action == "auto-approve") return approvals_required;
    if (e.action == "approve") by.insert(e.actor);
  }
  return static_cast<int>(by.size());
}

bool Grant::approved_by(std::string_view actor) const {
  return std::ranges::any_of(history, [&](const GrantEvent& e) { return e.action == "approve" && e.actor == actor; });
}

GrantState state_at(const Grant& grant, TimePoint now) {
  if (grant.revoked_at) return GrantState::kRevoked;
  switch (grant.status) {
    case GrantStatus::kRequested:
      return grant.request_expires_at && now >= *grant.request_expires_at ? GrantState::kExpired
                                                                          : GrantState::kRequested;
    case GrantStatus::kDenied: return GrantState::kDenied;
    case GrantStatus::kCancelled: return GrantState::kCancelled;
    case GrantStatus::kRevoked: return GrantState::kRevoked;
    case GrantStatus::kApproved: break;
  }
  if (now < grant.not_before) return GrantState::kScheduled;
  if (now >= grant.not_after) return GrantState::kExpired;
  return GrantState::kActive;
}

std::string_view to_string(GrantStatus status) {
  switch (status) {
    case GrantStatus::kRequested: return "requested";
    case GrantStatus::kApproved: return "approved";
    case GrantStatus::kDenied: return "denied";
    case GrantStatus::kCancelled: return "cancelled";
    case GrantStatus::kRevoked: return "revoked";
  }
  return "unknown";
}

std::optional<GrantStatus> parse_grant_status(std::string_view text) {
  for (auto s : {GrantStatus::kRequested, GrantStatus::kApproved, GrantStatus::kDenied, GrantStatus::kCancelled,
                 GrantStatus::kRevoked})
    if (to_string(s) == text) return s;
  return std::nullopt;
}

std::string_view to_string(GrantState state) {
  switch (state) {
    case GrantState::kRequested: return "requested";
    case GrantState::kScheduled: return "scheduled";
    case GrantState::kActive: return "active";
    case GrantState::kExpired: return "expired";
    case GrantState::kDenied: return "denied";
    case GrantState::kCancelled: return "cancelled";
    case GrantState::kRevoked: return "revoked";
  }
  return "unknown";
}

std::optional<GrantState> parse_grant_state(std::string_view text) {
  for (auto s : {GrantState::kRequested, GrantState::kScheduled, GrantState::kActive, GrantState::kExpired,
                 GrantState::kDenied, GrantState::kCancelled, GrantState::kRevoked})
    if (to_string(s) == text) return s;
  return std::nullopt;
}

}  // namespace policy
