// Frontend (client -> server) messages of the simple and extended query protocols and the
// fast-path FunctionCall: typed views over a frame body plus builders (PG docs "Message Formats").
// Views hold spans into the body: they live as long as the receive buffer does (STYLE.md).
// COPY messages are in copy_messages.h, authentication ('p') in auth_messages.h.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "proxy/wire/bytes.h"
#include "proxy/wire/views.h"

namespace pgwire {

// Describe and Close name a prepared statement or a portal.
inline constexpr char kTargetStatement = 'S';
inline constexpr char kTargetPortal = 'P';

// Query 'Q': String query (may hold several statements).
struct Query {
  std::string_view sql;
};
std::expected<Query, WireError> parse_query(Bytes body);
void encode_query(std::string& out, std::string_view sql);

// Parse 'P': String statement, String query, Int16 count, count x Int32 parameter type OID
// (0 = let the server infer).
struct Parse {
  std::string_view statement;  // "" = the unnamed statement
  std::string_view query;
  OidArray parameter_types;
};
std::expected<Parse, WireError> parse_parse(Bytes body);
void encode_parse(std::string& out, std::string_view statement, std::string_view query,
                  std::span<const std::uint32_t> parameter_types = {});

// Bind 'B': String portal, String statement, Int16 count + Int16 parameter format codes,
// Int16 count + (Int32 length, Byte_n) parameter values (-1 = NULL), Int16 count + Int16 result
// format codes.
struct Bind {
  std::string_view portal;     // "" = the unnamed portal
  std::string_view statement;  // "" = the unnamed statement
  Int16Array parameter_formats;
  ValueList parameters;
  Int16Array result_formats;

  // The format code that applies to parameter i / result column i: none listed = all text, one =
  // applies to all, else one per entry (PROTOCOL.md 19). nullopt when the Bind lists several
  // codes but none for i: the server rejects such a Bind.
  std::optional<std::int16_t> parameter_format(std::size_t i) const;
  std::optional<std::int16_t> result_format(std::size_t column) const;
};
std::expected<Bind, WireError> parse_bind(Bytes body);
void encode_bind(std::string& out, std::string_view portal, std::string_view statement,
                 std::span<const std::int16_t> parameter_formats, std::span<const Value> parameters,
                 std::span<const std::int16_t> result_formats);

// The rule of PROTOCOL.md 19 on its own, for code lists kept elsewhere.
std::optional<std::int16_t> format_for(const Int16Array& formats, std::size_t i);

// Describe 'D': Byte1 'S' (statement) or 'P' (portal), String name.
struct Describe {
  char target;
  std::string_view name;
};
std::expected<Describe, WireError> parse_describe(Bytes body);
void encode_describe(std::string& out, char target, std::string_view name);

// Execute 'E': String portal, Int32 maximum rows (0 = no limit; the portal is suspended after
// that many, PROTOCOL.md 21).
struct Execute {
  std::string_view portal;
  std::int32_t max_rows;
};
std::expected<Execute, WireError> parse_execute(Bytes body);
void encode_execute(std::string& out, std::string_view portal, std::int32_t max_rows = 0);

// Close 'C': Byte1 'S' (statement) or 'P' (portal), String name.
struct Close {
  char target;
  std::string_view name;
};
std::expected<Close, WireError> parse_close(Bytes body);
void encode_close(std::string& out, char target, std::string_view name);

// FunctionCall 'F' (fast path; large objects. PROTOCOL.md 16): Int32 function OID, Int16 count +
// Int16 argument format codes, Int16 count + (Int32 length, Byte_n) arguments, Int16 result format.
struct FunctionCall {
  std::uint32_t function_oid;
  Int16Array argument_formats;
  ValueList arguments;
  std::int16_t result_format;
};
std::expected<FunctionCall, WireError> parse_function_call(Bytes body);
void encode_function_call(std::string& out, std::uint32_t function_oid, std::span<const std::int16_t> argument_formats,
                          std::span<const Value> arguments, std::int16_t result_format);

// Sync 'S', Flush 'H', Terminate 'X': no body.
void encode_sync(std::string& out);
void encode_flush(std::string& out);
void encode_terminate(std::string& out);

// For every message without a body (Sync, Flush, Terminate, CopyDone, ParseComplete, NoData...):
// `name` only labels the error.
std::expected<void, WireError> parse_empty(Bytes body, std::string_view name);
void encode_empty(std::string& out, char type);

}  // namespace pgwire
