#include "policy/grant.h"

namespace policy {

GrantState state_at(const Grant& grant, TimePoint now) {
  if (grant.revoked_at) return GrantState::kRevoked;
  if (now < grant.not_before) return GrantState::kScheduled;
  if (now >= grant.not_after) return GrantState::kExpired;
  return GrantState::kActive;
}

std::string_view to_string(GrantState state) {
  switch (state) {
    case GrantState::kScheduled: return "scheduled";
    case GrantState::kActive: return "active";
    case GrantState::kExpired: return "expired";
    case GrantState::kRevoked: return "revoked";
  }
  return "unknown";
}

}  // namespace policy
