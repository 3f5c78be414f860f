// Reading fields of a parsed audit event (a JSON object as SCHEMA.md describes) the way tail and
// report need them: missing or null as empty, numbers as their text.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace audit {

inline std::string field_text(const nlohmann::json& event, const char* key) {
  const auto it = event.find(key);
  if (it == event.end() || it->is_null()) return {};
  return it->is_string() ? it->get<std::string>() : it->dump();
}

inline std::optional<std::int64_t> field_grant(const nlohmann::json& event) {
  const auto it = event.find("grant");
  if (it == event.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::int64_t>();
}

}  // namespace audit
