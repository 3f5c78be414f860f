#include "audit/syslog_format.h"

#include <fmt/format.h>

#include <array>
#include <nlohmann/json.hpp>
#include <utility>

namespace audit {
namespace {

constexpr std::array<std::pair<std::string_view, int>, 20> kFacilities{{
    {"kern", 0},     {"user", 1},     {"mail", 2},     {"daemon", 3},   {"auth", 4},
    {"syslog", 5},   {"lpr", 6},      {"news", 7},     {"uucp", 8},     {"cron", 9},
    {"authpriv", 10}, {"ftp", 11},    {"local0", 16},  {"local1", 17},  {"local2", 18},
    {"local3", 19},  {"local4", 20},  {"local5", 21},  {"local6", 22},  {"local7", 23},
}};

// RFC 5424 section 6: header fields are PRINTUSASCII (33..126) with a maximum length; a
// value that is empty or not printable would corrupt the header, so it becomes "-" (NILVALUE)
// or has its bad characters replaced.
std::string header_field(std::string_view value, std::size_t max) {
  if (value.empty()) return "-";
  std::string out;
  for (char c : value.substr(0, max)) out += (c >= 33 && c <= 126) ? c : '_';
  return out;
}

// SD-PARAM values escape '"', '\' and ']' (section 6.3.3).
std::string sd_value(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '"' || c == '\\' || c == ']') out += '\\';
    out += c;
  }
  return out;
}

std::string scalar_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() || v.is_boolean()) return v.dump();
  return {};
}

}  // namespace

std::optional<int> syslog_facility(std::string_view name) {
  for (const auto& [n, code] : kFacilities) {
    if (n == name) return code;
  }
  return std::nullopt;
}

int syslog_severity(std::string_view type) {
  if (type == "refusal" || type == "auth_failure") return 4;   // warning
  if (type == "config_reload" || type.starts_with("grant_") || type.starts_with("token_") || type.starts_with("session_")) {
    return 5;  // notice
  }
  return 6;  // informational
}

std::expected<std::string, std::string> format_rfc5424(const SyslogHeader& header, std::string_view event_line) {
  const auto event = nlohmann::json::parse(event_line, nullptr, false);
  if (!event.is_object() || !event.contains("type") || !event["type"].is_string() || !event.contains("time") ||
      !event["time"].is_string()) {
    return std::unexpected(std::string("not an audit event (a JSON object with \"type\" and \"time\")"));
  }
  const auto type = event["type"].get<std::string>();
  std::string sd = fmt::format("[{}", kSyslogSdId);
  for (const char* key : {"seq", "session", "person", "grant", "role", "database", "kind", "sqlstate"}) {
    if (!event.contains(key)) continue;
    const auto text = scalar_text(event[key]);
    if (!text.empty()) sd += fmt::format(" {}=\"{}\"", key, sd_value(text));
  }
  sd += ']';
  // The event's time is format_time()'s RFC 3339 form, which is a valid TIMESTAMP.
  return fmt::format("<{}>1 {} {} {} {} {} {} \xEF\xBB\xBF{}", header.facility * 8 + syslog_severity(type),
                     header_field(event["time"].get<std::string>(), 32), header_field(header.hostname, 255),
                     header_field(header.app_name, 48), header_field(header.procid, 128), header_field(type, 32), sd,
                     event_line);
}

}  // namespace audit
