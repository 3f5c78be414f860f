#include "proxy/wire/error.h"

#include <optional>
#include <stdexcept>

#include "proxy/wire/message_types.h"

namespace pgwire {
namespace {

void encode_fields(std::string& out, char type, const ErrorFields& f) {
  for (const auto& entry : f.other) {
    if (entry.first == '\0') throw std::invalid_argument("error field code 0 would end the field list");
  }
  Writer w(out);
  const auto mark = w.begin(type);
  auto put = [&w](char code, std::string_view value) {
    w.u8(static_cast<std::uint8_t>(code));
    w.cstr(value);
  };
  const std::string* localized = nullptr;
  for (const auto& [code, value] : f.other) {
    if (code == field::kSeverityLocalized) localized = &value;
  }
  // Same order as PostgreSQL's send_message_to_frontend: S, V, C, M, D, H, then the rest.
  put(field::kSeverityLocalized, localized != nullptr ? std::string_view(*localized) : f.severity);
  put(field::kSeverity, f.severity);
  put(field::kSqlState, f.sqlstate);
  put(field::kMessage, f.message);
  if (!f.detail.empty()) put(field::kDetail, f.detail);
  if (!f.hint.empty()) put(field::kHint, f.hint);
  for (const auto& [code, value] : f.other) {
    if (code != field::kSeverityLocalized) put(code, value);
  }
  w.u8(0);
  w.end(mark);
}

}  // namespace

const std::string* ErrorFields::get(char code) const {
  switch (code) {
    case field::kSeverity: return &severity;
    case field::kSqlState: return &sqlstate;
    case field::kMessage: return &message;
    case field::kDetail: return detail.empty() ? nullptr : &detail;
    case field::kHint: return hint.empty() ? nullptr : &hint;
    default: break;
  }
  for (auto it = other.rbegin(); it != other.rend(); ++it) {
    if (it->first == code) return &it->second;
  }
  return code == field::kSeverityLocalized ? &severity : nullptr;
}

ErrorFields make_error(std::string_view severity, std::string_view sqlstate, std::string message,
                       std::string hint, std::string detail) {
  ErrorFields f;
  f.severity = severity;
  f.sqlstate = sqlstate;
  f.message = std::move(message);
  f.hint = std::move(hint);
  f.detail = std::move(detail);
  return f;
}

void encode_error_response(std::string& out, const ErrorFields& fields) {
  encode_fields(out, be::kErrorResponse, fields);
}

void encode_notice_response(std::string& out, const ErrorFields& fields) {
  encode_fields(out, be::kNoticeResponse, fields);
}

std::expected<ErrorFields, WireError> parse_error_fields(Bytes body) {
  Reader r(body);
  ErrorFields f;
  std::optional<std::string_view> localized, severity;
  while (true) {
    auto code = r.u8();
    if (!code) return wire_error("invalid error/notice fields: missing terminator");
    if (*code == 0) break;
    auto value = r.cstr();
    if (!value) return wire_error("invalid error/notice fields: unterminated field value");
    switch (static_cast<char>(*code)) {
      case field::kSeverityLocalized: localized = *value; break;
      case field::kSeverity: severity = *value; break;
      case field::kSqlState: f.sqlstate = *value; break;
      case field::kMessage: f.message = *value; break;
      case field::kDetail: f.detail = *value; break;
      case field::kHint: f.hint = *value; break;
      default: f.other.emplace_back(static_cast<char>(*code), *value); break;
    }
  }
  if (!r.at_end()) return wire_error("invalid error/notice fields: bytes after the terminator");
  // 'V' exists since PostgreSQL 9.6; older servers send only the (possibly localized) 'S'.
  f.severity = severity.value_or(localized.value_or(std::string_view{}));
  if (localized && severity && *localized != *severity) {
    f.other.emplace(f.other.begin(), field::kSeverityLocalized, *localized);
  }
  return f;
}

}  // namespace pgwire
