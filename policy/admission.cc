#include "policy/admission.h"

#include <fmt/format.h>

#include "policy/time_format.h"

namespace policy {
namespace {

// Values pasted into a suggested shell command: bare when they cannot be misread by a POSIX
// shell, else single-quoted (with ' written as '\'').
std::string shell_word(std::string_view value) {
  const bool plain = !value.empty() && value.find_first_not_of(
                                           "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                           "0123456789_-.,:@/+=") == std::string_view::npos;
  if (plain) return std::string(value);
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

// `role` is a shell word or the "<role>" placeholder.
std::string ask_for_access_hint(std::string_view person, std::string_view database,
                                const std::string& role, std::string_view lead) {
  // Both ways in: the approval workflow, and the operator shortcut.
  return fmt::format(
      "{}: pgveil request --db {} --role {} --reason \"<ticket>\" (or ask an operator: "
      "pgveil grant create --user {} --db {} --role {} --for 1h --reason \"<ticket>\")",
      lead, shell_word(database), role, shell_word(person), shell_word(database), role);
}

std::string grant_subject(const Grant& grant) {
  return fmt::format("pgveil grant {} for user \"{}\" on database \"{}\"", grant.id, grant.person,
                     grant.database);
}

Admission refuse(Admission::Outcome outcome, std::optional<Grant> grant, std::string message,
                 std::string hint) {
  return Admission{outcome, std::move(grant), std::string(kRefusalSqlstate), std::move(message),
                   std::move(hint)};
}

}  // namespace

std::string_view to_string(Admission::Outcome outcome) {
  switch (outcome) {
    case Admission::Outcome::kAdmitted: return "admitted";
    case Admission::Outcome::kNoGrant: return "no_grant";
    case Admission::Outcome::kScheduled: return "scheduled";
    case Admission::Outcome::kExpired: return "expired";
    case Admission::Outcome::kRevoked: return "revoked";
    case Admission::Outcome::kPending: return "pending";
    case Admission::Outcome::kDenied: return "denied";
    case Admission::Outcome::kCancelled: return "cancelled";
    case Admission::Outcome::kNoSecret: return "no_secret";
  }
  return "unknown";
}

Admission decide_admission(std::string_view person, std::string_view database,
                           const std::optional<Grant>& found, TimePoint now) {
  if (!found || found->person != person || found->database != database) {
    return refuse(Admission::Outcome::kNoGrant, std::nullopt,
                  fmt::format("no active pgveil grant for user \"{}\" on database \"{}\"", person,
                              database),
                  ask_for_access_hint(person, database, "<role>", "Ask for access"));
  }
  const Grant& grant = *found;
  const std::string role = shell_word(grant.role);
  switch (state_at(grant, now)) {
    case GrantState::kActive:
      if (grant.verifier.empty()) {
        return refuse(Admission::Outcome::kNoSecret, grant,
                      fmt::format("{} is approved, but its connection secret has not been collected", grant_subject(grant)),
                      fmt::format("Collect it once with: pgveil connect {} (as {})", grant.id, shell_word(grant.person)));
      }
      return Admission{Admission::Outcome::kAdmitted, grant, "",
                       fmt::format("{} (role {}) is active until {}", grant_subject(grant),
                                   grant.role, format_time(grant.not_after)),
                       ""};
    case GrantState::kScheduled:
      return refuse(
          Admission::Outcome::kScheduled, grant,
          fmt::format("{} starts at {}", grant_subject(grant), format_time(grant.not_before)),
          fmt::format("The grant (role {}) is valid from {} until {}; connect again in {}.",
                      grant.role, format_time(grant.not_before), format_time(grant.not_after),
                      format_duration(std::chrono::ceil<std::chrono::seconds>(grant.not_before - now))));
    case GrantState::kExpired:
      return refuse(
          Admission::Outcome::kExpired, grant,
          grant.status == GrantStatus::kRequested && grant.request_expires_at
              ? fmt::format("{} expired at {} without being approved", grant_subject(grant),
                            format_time(*grant.request_expires_at))
              : fmt::format("{} expired at {}", grant_subject(grant), format_time(grant.not_after)),
          ask_for_access_hint(person, database, role, "Ask for access again"));
    case GrantState::kRequested:
      return refuse(Admission::Outcome::kPending, grant,
                    fmt::format("{} is awaiting approval ({} of {} approvals)", grant_subject(grant), grant.approvals(),
                                grant.approvals_required),
                    fmt::format("Ask an approver of role {} to run: pgveil approve {}", role, grant.id));
    case GrantState::kDenied:
    case GrantState::kCancelled: {
      const bool denied = state_at(grant, now) == GrantState::kDenied;
      std::string message = fmt::format("{} was {}", grant_subject(grant), denied ? "denied" : "cancelled");
      if (!grant.history.empty()) {
        const auto& last = grant.history.back();
        message += fmt::format(" at {} by {}", format_time(last.at), last.actor);
        if (!last.reason.empty()) message += ": " + last.reason;
      }
      return refuse(denied ? Admission::Outcome::kDenied : Admission::Outcome::kCancelled, grant, std::move(message),
                    ask_for_access_hint(person, database, role, "Ask for access again"));
    }
    case GrantState::kRevoked: {
      std::string message = fmt::format("{} was revoked at {}", grant_subject(grant),
                                        format_time(*grant.revoked_at));
      if (!grant.revoked_by.empty()) message += fmt::format(" by {}", grant.revoked_by);
      if (!grant.revoke_reason.empty()) message += fmt::format(": {}", grant.revoke_reason);
      return refuse(Admission::Outcome::kRevoked, grant, std::move(message),
                    ask_for_access_hint(person, database, role, "Ask for access again"));
    }
  }
  // Unreachable for valid enum values; refuse rather than admit on a corrupted state.
  return refuse(Admission::Outcome::kNoGrant, std::nullopt,
                fmt::format("no active pgveil grant for user \"{}\" on database \"{}\"", person,
                            database),
                ask_for_access_hint(person, database, "<role>", "Ask for access"));
}

}  // namespace policy
