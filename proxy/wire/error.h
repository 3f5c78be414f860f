// ErrorResponse 'E' and NoticeResponse 'N' (PG docs "Message Formats", "Error and Notice Message
// Fields"): Int32 length, then { Byte1 field code, String value }*, then Byte1(0).
//
// Field values can carry row data (DETAIL "Key (email)=(...)"), so they are a data channel
// (PROTOCOL.md 25): the proxy masks them through this structure and never logs them raw.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/wire/bytes.h"

namespace pgwire {

// Field codes (PG docs "Error and Notice Message Fields").
namespace field {
inline constexpr char kSeverityLocalized = 'S', kSeverity = 'V', kSqlState = 'C', kMessage = 'M',
                      kDetail = 'D', kHint = 'H', kPosition = 'P', kInternalPosition = 'p',
                      kInternalQuery = 'q', kWhere = 'W', kSchema = 's', kTable = 't', kColumn = 'c',
                      kDataType = 'd', kConstraint = 'n', kFile = 'F', kLine = 'L', kRoutine = 'R';
}

// SQLSTATEs pgveil raises itself (PG docs, Appendix A).
namespace sqlstate {
inline constexpr std::string_view kProtocolViolation = "08P01";
inline constexpr std::string_view kConnectionFailure = "08006";
inline constexpr std::string_view kInvalidAuthorization = "28000";
inline constexpr std::string_view kInvalidPassword = "28P01";
inline constexpr std::string_view kInsufficientPrivilege = "42501";
inline constexpr std::string_view kFeatureNotSupported = "0A000";
inline constexpr std::string_view kAdminShutdown = "57P01";
inline constexpr std::string_view kQueryCanceled = "57014";
inline constexpr std::string_view kTooManyConnections = "53300";
inline constexpr std::string_view kInternalError = "XX000";
}  // namespace sqlstate

struct ErrorFields {
  // Non-localized severity: "ERROR", "FATAL", "PANIC", "WARNING", "NOTICE", "DEBUG", "INFO",
  // "LOG". Encoded as both 'S' and 'V'. When a server sends a localized 'S' that differs from
  // 'V' ("FEHLER"), parsing keeps it in `other` and encoding writes it back as 'S'.
  std::string severity;
  std::string sqlstate;  // 'C'
  std::string message;   // 'M'
  std::string detail;    // 'D' (omitted when empty)
  std::string hint;      // 'H' (omitted when empty)
  // Every other field in wire order (P, W, s, t, c, n, F, L, R, ...). Must not repeat V, C, M, D
  // or H (the named members hold those); codes are non-zero (0 ends the list).
  std::vector<std::pair<char, std::string>> other;

  // The value of any field code, named or other; nullptr if absent (empty D/H count as absent).
  const std::string* get(char code) const;

  bool operator==(const ErrorFields&) const = default;
};

ErrorFields make_error(std::string_view severity, std::string_view sqlstate, std::string message,
                       std::string hint = {}, std::string detail = {});

void encode_error_response(std::string& out, const ErrorFields& fields);   // 'E'
void encode_notice_response(std::string& out, const ErrorFields& fields);  // 'N'

// Parses the body of an 'E' or 'N'. A repeated S, V, C, M, D or H keeps its last value, as libpq
// does (PQresultErrorField finds the most recently saved one); other repeats are all kept.
std::expected<ErrorFields, WireError> parse_error_fields(Bytes body);

}  // namespace pgwire
