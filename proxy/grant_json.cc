#include "proxy/grant_json.h"

#include "policy/time_format.h"
#include "proxy/session.h"

namespace proxy {
namespace {

nlohmann::json time_or_null(std::optional<policy::TimePoint> time) {
  return time ? nlohmann::json(policy::format_time(*time)) : nlohmann::json();
}

}  // namespace

nlohmann::json grant_json(const policy::Grant& g, policy::TimePoint now) {
  const bool windowed = g.status == policy::GrantStatus::kApproved ||
                        (g.not_after != policy::TimePoint{} && g.status != policy::GrantStatus::kRequested);
  nlohmann::json history = nlohmann::json::array();
  for (const auto& e : g.history) {
    history.push_back({{"at", policy::format_time(e.at)}, {"actor", e.actor}, {"action", e.action}, {"reason", e.reason}});
  }
  return {{"id", g.id},
          {"person", g.person},
          {"database", g.database},
          {"role", g.role},
          {"reason", g.reason},
          {"state", policy::to_string(policy::state_at(g, now))},
          {"status", policy::to_string(g.status)},
          {"requested_by", g.created_by},
          {"created_at", policy::format_time(g.created_at)},
          {"duration_seconds", g.duration.count()},
          {"requested_start", time_or_null(g.requested_start)},
          {"approvals", g.approvals()},
          {"approvals_required", g.approvals_required},
          {"not_before", windowed ? time_or_null(g.not_before) : nlohmann::json()},
          {"not_after", windowed ? time_or_null(g.not_after) : nlohmann::json()},
          {"revoked_at", time_or_null(g.revoked_at)},
          {"revoked_by", g.revoked_by},
          {"revoke_reason", g.revoke_reason},
          {"secret_collected", !g.verifier.empty()},
          {"history", std::move(history)}};
}

nlohmann::json token_json(const policy::ApiToken& t) {
  return {{"id", t.id},
          {"person", t.person},
          {"created_by", t.created_by},
          {"created_at", policy::format_time(t.created_at)},
          {"revoked_at", time_or_null(t.revoked_at)},
          {"revoked_by", t.revoked_by}};
}

nlohmann::json session_json(const SessionInfo& s) {
  return {{"id", s.id},
          {"peer", s.peer},
          {"person", s.person},
          {"database", s.database},
          {"role", s.role},
          {"grant_id", s.grant_id},
          {"application_name", s.application_name},
          {"tls", s.tls},
          {"masking", s.masking},
          {"started", policy::format_time(s.started)}};
}

}  // namespace proxy
