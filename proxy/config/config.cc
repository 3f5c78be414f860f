#include "proxy/config/config.h"

#include <algorithm>
#include <array>
#include <utility>

#include <fmt/format.h>

namespace proxy {
namespace {

constexpr std::array<std::pair<UpstreamTlsMode, std::string_view>, 5> kTlsModeNames{{
    {UpstreamTlsMode::kDisable, "disable"},
    {UpstreamTlsMode::kPrefer, "prefer"},
    {UpstreamTlsMode::kRequire, "require"},
    {UpstreamTlsMode::kVerifyCa, "verify-ca"},
    {UpstreamTlsMode::kVerifyFull, "verify-full"},
}};

}  // namespace

std::optional<UpstreamTlsMode> parse_upstream_tls_mode(std::string_view name) {
  for (const auto& [mode, text] : kTlsModeNames)
    if (text == name) return mode;
  return std::nullopt;
}

std::string_view to_string(UpstreamTlsMode mode) {
  for (const auto& [m, text] : kTlsModeNames)
    if (m == mode) return text;
  return "unknown";
}

std::string ConfigProblem::to_string() const {
  if (line <= 0) return fmt::format("{}: {}", file, message);
  if (column <= 0) return fmt::format("{}:{}: {}", file, line, message);
  return fmt::format("{}:{}:{}: {}", file, line, column, message);
}

const Database* Config::database(std::string_view name) const {
  auto it = databases.find(name);
  return it == databases.end() ? nullptr : &it->second;
}

const Role* Config::role(std::string_view name) const {
  auto it = roles.find(name);
  return it == roles.end() ? nullptr : &it->second;
}

const Login* Config::login_for(const Role& r, std::string_view database_name) const {
  if (std::find(r.databases.begin(), r.databases.end(), database_name) == r.databases.end())
    return nullptr;
  const Database* db = database(database_name);
  if (db == nullptr) return nullptr;
  auto it = db->logins.find(r.login);
  return it == db->logins.end() ? nullptr : &it->second;
}

audit::TextMode Config::statement_text(const Role* r) const {
  return r != nullptr && r->audit_statements ? *r->audit_statements : audit.statements;
}

std::shared_ptr<const masking::Profile> Config::masking_profile(const Role& role) const {
  if (role.masking == "none") return nullptr;
  auto it = masking_profiles.find(role.masking);
  return it == masking_profiles.end() ? nullptr : it->second;
}

}  // namespace proxy
