#include "proxy/grant_audit.h"

#include <algorithm>
#include <charconv>
#include <set>
#include <string_view>

namespace proxy {
namespace {

using audit::GrantAction;

// supersede_others (policy/grant_rows.cc) records the replaced grant's end as a "revoke" whose
// reason names the new grant.
constexpr std::string_view kSupersededBy = "superseded by grant ";

std::optional<std::int64_t> superseding_grant(std::string_view reason) {
  if (!reason.starts_with(kSupersededBy)) return std::nullopt;
  reason.remove_prefix(kSupersededBy.size());
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(reason.data(), reason.data() + reason.size(), id);
  if (ec != std::errc() || end != reason.data() + reason.size()) return std::nullopt;
  return id;
}

GrantAction action_of(const policy::GrantEvent& step) {
  const std::string_view a = step.action;
  if (a == "request") return GrantAction::kRequested;
  if (a == "issue") return GrantAction::kIssued;
  if (a == "approve" || a == "auto-approve") return GrantAction::kApproved;
  if (a == "deny") return GrantAction::kDenied;
  if (a == "cancel") return GrantAction::kCancelled;
  if (a == "revoke") return superseding_grant(step.reason) ? GrantAction::kSuperseded : GrantAction::kRevoked;
  if (a == "expire") return GrantAction::kExpired;
  if (a == "secret") return GrantAction::kSecretClaimed;
  // An action this proxy does not know (a newer pgveil wrote it) is still recorded.
  return GrantAction::kChanged;
}

// Distinct approvers among history[0..index]; an auto-approval counts as all of them.
int approvals_until(const policy::Grant& grant, std::size_t index) {
  std::set<std::string_view> people;
  for (std::size_t i = 0; i <= index && i < grant.history.size(); ++i) {
    const auto& step = grant.history[i];
    if (step.action == "auto-approve") return grant.approvals_required;
    if (step.action == "approve") people.insert(step.actor);
  }
  return static_cast<int>(people.size());
}

}  // namespace

audit::Event grant_history_event(const policy::Grant& grant, std::size_t index) {
  const policy::GrantEvent& step = grant.history.at(index);
  audit::GrantEvent e;
  e.action = action_of(step);
  e.grant_id = grant.id;
  e.person = grant.person;
  e.database = grant.database;
  e.role = grant.role;
  e.by = e.action == GrantAction::kExpired ? std::string() : step.actor;
  e.reason = step.reason;
  if (e.action == GrantAction::kChanged) e.reason = step.action + ": " + step.reason;
  const bool window_set = grant.status != policy::GrantStatus::kRequested && grant.not_after > grant.not_before;
  switch (e.action) {
    case GrantAction::kRequested:
      e.approvals_required = grant.approvals_required;
      break;
    case GrantAction::kApproved:
      e.approvals = approvals_until(grant, index);
      e.approvals_required = grant.approvals_required;
      // The approval that completed the grant opened its window.
      if (window_set && e.approvals >= grant.approvals_required) {
        e.not_before = grant.not_before;
        e.not_after = grant.not_after;
      }
      break;
    case GrantAction::kIssued:
    case GrantAction::kExpired:
      if (window_set) {
        e.not_before = grant.not_before;
        e.not_after = grant.not_after;
      }
      break;
    case GrantAction::kSuperseded:
      e.superseded_by = superseding_grant(step.reason);
      break;
    default:
      break;
  }
  return audit::Event(std::move(e), step.at);
}

void GrantAuditTrail::prime(const std::vector<policy::Grant>& grants) {
  for (const auto& g : grants) seen_[g.id] = g.history.size();
}

std::vector<audit::Event> GrantAuditTrail::take_new(const std::vector<policy::Grant>& grants) {
  std::vector<audit::Event> out;
  for (const auto& g : grants) {
    auto& seen = seen_[g.id];
    for (std::size_t i = seen; i < g.history.size(); ++i) out.push_back(grant_history_event(g, i));
    seen = std::max(seen, g.history.size());
  }
  // Steps of several grants (an approval and the supersession it caused) in the order they happened.
  std::stable_sort(out.begin(), out.end(), [](const audit::Event& a, const audit::Event& b) { return a.time < b.time; });
  return out;
}

}  // namespace proxy
