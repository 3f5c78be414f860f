// Backend (server -> client) messages other than authentication (auth_messages.h), COPY
// (copy_messages.h), rows (row_messages.h) and errors (error.h): typed views plus builders
// (PG docs "Message Formats").
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/wire/bytes.h"
#include "proxy/wire/views.h"

namespace pgwire {

// BackendKeyData 'K': Int32 process id, Byte_n secret key (4 bytes in 3.0, 4..256 in 3.2;
// PROTOCOL.md 9-10).
struct BackendKeyData {
  std::int32_t pid;
  std::string key;
};
std::expected<BackendKeyData, WireError> parse_backend_key_data(Bytes body);
void encode_backend_key_data(std::string& out, std::int32_t pid, std::string_view key);

// ParameterStatus 'S': String name, String value (PROTOCOL.md 14).
struct ParameterStatus {
  std::string_view name, value;
};
std::expected<ParameterStatus, WireError> parse_parameter_status(Bytes body);
void encode_parameter_status(std::string& out, std::string_view name, std::string_view value);

// ReadyForQuery 'Z': Byte1 transaction status.
inline constexpr char kTxIdle = 'I', kTxInBlock = 'T', kTxFailed = 'E';
std::expected<char, WireError> parse_ready_for_query(Bytes body);  // 'I', 'T' or 'E' only
void encode_ready_for_query(std::string& out, char status);

// NegotiateProtocolVersion 'v': Int32 newest protocol version the server supports, Int32 count,
// count x String protocol option not recognised (PROTOCOL.md 8). The docs call the first field
// the "newest minor version", but servers send the whole version, 3 << 16 | minor (PostgreSQL 15
// sends 0x00030000), and libpq 18 rejects anything below 3.0 as a downgrade. So this API speaks
// minors and the codec adds the major: newest_minor = 0 goes on the wire as 196608.
struct NegotiateProtocolVersion {
  std::uint16_t newest_minor;
  std::vector<std::string_view> unsupported_options;
};
// Rejects a major other than 3.
std::expected<NegotiateProtocolVersion, WireError> parse_negotiate_protocol_version(Bytes body);
void encode_negotiate_protocol_version(std::string& out, std::int32_t newest_minor,
                                       std::span<const std::string> unsupported_options);

// CommandComplete 'C': String command tag ("SELECT 5", "INSERT 0 1", "UPDATE 3", "COPY 10"...).
struct CommandComplete {
  std::string_view tag;
  // The row count that ends the tag, when the command reports one (PG docs: INSERT oid rows,
  // DELETE/UPDATE/MERGE/SELECT/MOVE/FETCH/COPY rows).
  std::optional<std::uint64_t> rows() const;
  std::string_view command() const;  // the first word: "SELECT", "CREATE"...
};
std::expected<CommandComplete, WireError> parse_command_complete(Bytes body);
void encode_command_complete(std::string& out, std::string_view tag);

// NotificationResponse 'A': Int32 notifying process id, String channel, String payload. The
// payload is a data channel (PROTOCOL.md 25).
struct NotificationResponse {
  std::int32_t pid;
  std::string_view channel, payload;
};
std::expected<NotificationResponse, WireError> parse_notification_response(Bytes body);
void encode_notification_response(std::string& out, std::int32_t pid, std::string_view channel,
                                  std::string_view payload);

// ParameterDescription 't': Int16 count, count x Int32 parameter type OID.
struct ParameterDescription {
  OidArray types;
};
std::expected<ParameterDescription, WireError> parse_parameter_description(Bytes body);
void encode_parameter_description(std::string& out, std::span<const std::uint32_t> types);

// FunctionCallResponse 'V': Int32 length (-1 = NULL), Byte_n result.
struct FunctionCallResponse {
  Value result;
};
std::expected<FunctionCallResponse, WireError> parse_function_call_response(Bytes body);
void encode_function_call_response(std::string& out, const Value& result);

// No body: ParseComplete '1', BindComplete '2', CloseComplete '3', NoData 'n',
// EmptyQueryResponse 'I', PortalSuspended 's' (parse with parse_empty).
void encode_parse_complete(std::string& out);
void encode_bind_complete(std::string& out);
void encode_close_complete(std::string& out);
void encode_no_data(std::string& out);
void encode_empty_query_response(std::string& out);
void encode_portal_suspended(std::string& out);

}  // namespace pgwire
