// Personal API tokens: how people identify themselves to pgveil's admin API (issue #3). An admin
// issues one per person (`pgveil token issue alice`); it is shown once and stored only as its
// SHA-256 digest, so a copy of the store does not let anyone act as anyone.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "policy/grant.h"

namespace policy {

struct ApiToken {
  std::int64_t id = 0;
  std::string person, created_by;
  TimePoint created_at{};
  std::optional<TimePoint> revoked_at;
  std::string revoked_by;
};

// "pgv_" + 256 random bits, base64url (47 characters). The prefix lets secret scanners and
// people recognise a leaked token.
std::expected<std::string, std::string> generate_api_token();

// Lower-case hex SHA-256 of `token`: what the store keeps and looks tokens up by. A token has 256
// bits of entropy, so an unsalted fast hash is enough (nothing to brute-force).
std::string token_digest(std::string_view token);

// Compares two digests in constant time (the bootstrap admin token is checked this way).
bool same_digest(std::string_view a, std::string_view b);

}  // namespace policy
