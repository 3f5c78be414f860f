// RFC 5424 syslog messages for audit events (pure: no sockets; syslog_sink.h sends them).
//
//   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [pgveil@32473 k="v" ...] BOM{event JSON}
//
// PRI = facility * 8 + severity (the severity follows the event type: refusals and failed
// logins are warnings, grant lifecycle and sessions notices, statements informational).
// TIMESTAMP is the event's own time, MSGID its type. The structured data element repeats the
// fields a collector filters on; MSG is the whole event (UTF-8, so it starts with a BOM as RFC
// 5424 section 6.4 requires). 32473 is the private enterprise number RFC 5612 reserves for
// documentation and examples: pgveil has none of its own.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace audit {

inline constexpr std::string_view kSyslogSdId = "pgveil@32473";

struct SyslogHeader {
  int facility = 10;  // authpriv
  std::string hostname;  // "-" when empty
  std::string app_name = "pgveil";
  std::string procid;  // "-" when empty
};

// Facility names of RFC 5424 table 1 as syslog.conf spells them ("auth", "authpriv", "daemon",
// "local0" … "local7", "user"); nullopt for an unknown name.
std::optional<int> syslog_facility(std::string_view name);

// 0 emergency … 7 debug.
int syslog_severity(std::string_view event_type);

// One message for `event_line` (a serialized event, event.h to_line, possibly with chain
// fields). An error when the line is not a JSON object with a string "type" and "time".
std::expected<std::string, std::string> format_rfc5424(const SyslogHeader& header, std::string_view event_line);

}  // namespace audit
