#include "audit/tail_format.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>

#include "audit/event_fields.h"

namespace audit {
namespace {

using Json = nlohmann::json;

constexpr std::array<std::string_view, 19> kTypes{
    "session_start",   "session_end",      "auth_failure",    "refusal",       "statement",
    "statement_done",  "grant_requested",  "grant_issued",    "grant_approved", "grant_denied",
    "grant_cancelled", "grant_revoked",    "grant_superseded", "grant_expired", "grant_secret_claimed", "grant_changed",
    "token_issued",    "token_revoked",    "config_reload"};

std::string str(const Json& e, const char* key) { return field_text(e, key); }

std::int64_t num(const Json& e, const char* key) {
  const auto it = e.find(key);
  return it != e.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

// "2026-12-03T21:38:00.123Z" -> "2026-12-03 21:38:00.123"
std::string readable_time(std::string t) {
  if (t.size() >= 20 && t[10] == 'T') t[10] = ' ';
  if (!t.empty() && t.back() == 'Z') t.pop_back();
  return t;
}

std::string plural(std::int64_t n, std::string_view word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

std::string detail(const Json& e, const std::string& type) {
  if (type == "statement") {
    const auto text = str(e, "normalized");
    return text.empty() ? "(unparsed: text not recorded)" : text;
  }
  if (type == "statement_done") {
    std::string out = fmt::format("{} in {}", str(e, "command_tag"), format_duration_ms(num(e, "duration_us") / 1000));
    std::int64_t masked = 0;
    if (const auto it = e.find("masked_columns"); it != e.end() && it->is_object()) {
      for (const auto& [column, count] : it->items()) masked += count.is_number_integer() ? count.get<std::int64_t>() : 0;
    }
    if (masked > 0) out += fmt::format(", {} masked", masked);
    return out;
  }
  if (type == "refusal") {
    std::string out = fmt::format("{}: {}", str(e, "rule"), str(e, "message"));
    if (const auto it = e.find("statement"); it != e.end() && it->is_object()) {
      const auto text = str(*it, "normalized");
      if (!text.empty()) out += " -- " + text;
    }
    return out;
  }
  if (type == "auth_failure") return fmt::format("{} from {}", str(e, "reason"), str(e, "client_addr"));
  if (type == "session_start") {
    const auto tls = str(e, "tls");
    return fmt::format("from {} {} app={}", str(e, "client_addr"), tls.empty() ? "plaintext" : tls,
                       str(e, "application_name"));
  }
  if (type == "session_end") {
    return fmt::format("after {}: {}, {}, {} ({})", format_duration_ms(num(e, "duration_ms")),
                       plural(num(e, "statements"), "statement"), plural(num(e, "refusals"), "refusal"),
                       plural(num(e, "rows"), "row"), str(e, "reason"));
  }
  if (type.starts_with("grant_")) {
    std::string out = fmt::format("role {} on {}", str(e, "role"), str(e, "database"));
    if (const auto by = str(e, "by"); !by.empty()) out += " by " + by;
    if (type == "grant_approved" && e.contains("approval")) {
      out += fmt::format(" ({} of {})", str(e, "approval"), str(e, "approvals_required"));
    }
    if (const auto reason = str(e, "reason"); !reason.empty()) out += ": " + reason;
    const auto nb = str(e, "not_before"), na = str(e, "not_after");
    if (!nb.empty() || !na.empty()) out += fmt::format(" [{} .. {}]", readable_time(nb), readable_time(na));
    return out;
  }
  if (type.starts_with("token_")) return fmt::format("API token {} of {} by {}", str(e, "token"), str(e, "person"), str(e, "by"));
  if (type == "config_reload") {
    if (e.value("ok", false)) return str(e, "source") + " reloaded";
    std::string out = str(e, "source") + " rejected";
    if (const auto it = e.find("problems"); it != e.end() && it->is_array()) {
      for (const auto& p : *it) out += "; " + (p.is_string() ? p.get<std::string>() : p.dump());
    }
    return out;
  }
  return {};
}

std::string kind_of(const Json& e, const std::string& type) {
  if (type == "statement") return str(e, "kind");
  if (type == "refusal") {
    if (const auto it = e.find("statement"); it != e.end() && it->is_object()) return str(*it, "kind");
    return str(e, "stage");
  }
  if (type == "auth_failure") return str(e, "method");
  return {};
}

// ANSI SGR codes by event type; "" for the terminal's default.
std::string_view colour_of(const Json& e, const std::string& type) {
  if (type == "refusal" || type == "auth_failure") return "31";  // red
  if (type == "statement_done" && !str(e, "sqlstate").empty()) return "33";  // yellow
  if (type.starts_with("grant_") || type.starts_with("token_") || type == "config_reload") return "36";  // cyan
  if (type.starts_with("session_")) return "32";  // green
  return "";
}

std::string paint(std::string text, std::string_view sgr, bool colour) {
  if (!colour || sgr.empty()) return text;
  return fmt::format("\x1b[{}m{}\x1b[0m", sgr, text);
}

}  // namespace

std::span<const std::string_view> event_types() { return kTypes; }

bool tail_matches(const Json& event, const TailFilter& filter) {
  if (!event.is_object()) return false;
  const auto type = str(event, "type");
  if (filter.person && str(event, "person") != *filter.person) return false;
  if (filter.grant && field_grant(event) != filter.grant) return false;
  if (filter.refused && type != "refusal" && type != "auth_failure") return false;
  if (!filter.types.empty() && std::find(filter.types.begin(), filter.types.end(), type) == filter.types.end()) {
    return false;
  }
  if (filter.since) {
    const auto time = parse_time(str(event, "time"));
    if (!time || *time < *filter.since) return false;
  }
  return true;
}

std::expected<std::vector<std::string>, std::string> parse_event_types(std::string_view list) {
  std::vector<std::string> types;
  std::size_t start = 0;
  while (start <= list.size()) {
    const auto comma = std::min(list.find(',', start), list.size());
    const auto type = list.substr(start, comma - start);
    if (std::find(kTypes.begin(), kTypes.end(), type) == kTypes.end()) {
      return std::unexpected(fmt::format("unknown event type \"{}\" (one of: {})", type, fmt::join(kTypes, ", ")));
    }
    types.emplace_back(type);
    start = comma + 1;
  }
  return types;
}

std::string format_tail_line(const Json& event, bool colour) {
  const auto type = str(event, "type");
  const auto grant = str(event, "grant");
  const auto sqlstate = str(event, "sqlstate");
  const auto sgr = colour_of(event, type);
  std::string line = paint(fmt::format("{:<23}", readable_time(str(event, "time"))), "2", colour);
  line += fmt::format("  {:<10}  {:<6}  ", terminal_safe(str(event, "person")), grant.empty() ? "-" : "#" + grant);
  line += paint(fmt::format("{:<15}", type), sgr, colour);
  line += fmt::format(" {:<9} ", terminal_safe(kind_of(event, type)));
  line += paint(fmt::format("{:<5}", sqlstate), sqlstate.empty() ? "" : "1;31", colour);
  line += "  " + paint(terminal_safe(detail(event, type)), sgr == "32" || sgr == "36" ? "" : sgr, colour);
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

std::string format_duration_ms(std::int64_t ms) {
  if (ms < 1000) return fmt::format("{}ms", ms);
  if (ms < 60'000) return fmt::format("{:.1f}s", static_cast<double>(ms) / 1000.0);
  const std::int64_t s = ms / 1000;
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
}

std::string terminal_safe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      out += '?';
    } else if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      out += '?';  // U+0080..U+009F (C1 controls, e.g. CSI) in UTF-8
      ++i;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace audit
