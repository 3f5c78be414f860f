#include "proxy/wire/backend_messages.h"

#include <array>
#include <charconv>

#include "proxy/wire/frontend_messages.h"
#include "proxy/wire/message_reader.h"
#include "proxy/wire/message_types.h"
#include "proxy/wire/startup.h"

namespace pgwire {

std::expected<BackendKeyData, WireError> parse_backend_key_data(Bytes body) {
  detail::MessageReader r(body, "BackendKeyData");
  BackendKeyData k;
  k.pid = r.i32();
  const Bytes key = r.rest();
  if (r.ok() && (key.size() < kMinCancelKey || key.size() > kMaxCancelKey)) {
    r.fail(fmt::format("secret key of {} bytes (must be {} to {})", key.size(), kMinCancelKey, kMaxCancelKey));
  }
  k.key = as_chars(key);
  return r.finish(std::move(k));
}

void encode_backend_key_data(std::string& out, std::int32_t pid, std::string_view key) {
  Writer w(out);
  const auto mark = w.begin(be::kBackendKeyData);
  w.i32(pid);
  w.bytes(key);
  w.end(mark);
}

std::expected<ParameterStatus, WireError> parse_parameter_status(Bytes body) {
  detail::MessageReader r(body, "ParameterStatus");
  ParameterStatus p;
  p.name = r.cstr();
  p.value = r.cstr();
  return r.finish(p);
}

void encode_parameter_status(std::string& out, std::string_view name, std::string_view value) {
  Writer w(out);
  const auto mark = w.begin(be::kParameterStatus);
  w.cstr(name);
  w.cstr(value);
  w.end(mark);
}

std::expected<char, WireError> parse_ready_for_query(Bytes body) {
  detail::MessageReader r(body, "ReadyForQuery");
  const char status = static_cast<char>(r.u8());
  if (r.ok() && status != kTxIdle && status != kTxInBlock && status != kTxFailed) {
    r.fail(fmt::format("transaction status {:#04x} is not 'I', 'T' or 'E'", static_cast<unsigned char>(status)));
  }
  return r.finish(status);
}

void encode_ready_for_query(std::string& out, char status) {
  Writer w(out);
  const auto mark = w.begin(be::kReadyForQuery);
  w.u8(static_cast<std::uint8_t>(status));
  w.end(mark);
}

std::expected<NegotiateProtocolVersion, WireError> parse_negotiate_protocol_version(Bytes body) {
  detail::MessageReader r(body, "NegotiateProtocolVersion");
  NegotiateProtocolVersion n;
  const std::uint32_t version = r.u32();
  if (r.ok() && (version >> 16) != kProtocolMajor) {
    r.fail(fmt::format("protocol version {}.{} (major must be 3)", version >> 16, version & 0xffff));
  }
  n.newest_minor = static_cast<std::uint16_t>(version & 0xffff);
  const std::int32_t count = r.i32();
  if (r.ok() && count < 0) r.fail(fmt::format("negative option count {}", count));
  // Each option takes at least its NUL: a count past the bytes left is a lie, not an allocation.
  if (r.ok() && static_cast<std::size_t>(count) > r.remaining()) {
    r.fail(fmt::format("{} options cannot fit in {} bytes", count, r.remaining()));
  }
  for (std::int32_t i = 0; r.ok() && i < count; ++i) n.unsupported_options.push_back(r.cstr());
  return r.finish(std::move(n));
}

void encode_negotiate_protocol_version(std::string& out, std::int32_t newest_minor,
                                       std::span<const std::string> unsupported_options) {
  Writer w(out);
  const auto mark = w.begin(be::kNegotiateProtocolVersion);
  w.u32((std::uint32_t{kProtocolMajor} << 16) | (static_cast<std::uint32_t>(newest_minor) & 0xffff));
  w.i32(static_cast<std::int32_t>(unsupported_options.size()));
  for (const auto& option : unsupported_options) w.cstr(option);
  w.end(mark);
}

std::string_view CommandComplete::command() const { return tag.substr(0, tag.find(' ')); }

std::optional<std::uint64_t> CommandComplete::rows() const {
  static constexpr std::array<std::string_view, 8> kCounted = {"INSERT", "DELETE", "UPDATE", "MERGE",
                                                               "SELECT", "MOVE",   "FETCH",  "COPY"};
  const std::string_view cmd = command();
  bool counted = false;
  for (const auto c : kCounted) counted = counted || c == cmd;
  const auto space = tag.rfind(' ');
  if (!counted || space == std::string_view::npos) return std::nullopt;
  const std::string_view digits = tag.substr(space + 1);
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty()) return std::nullopt;
  return n;
}

std::expected<CommandComplete, WireError> parse_command_complete(Bytes body) {
  detail::MessageReader r(body, "CommandComplete");
  CommandComplete c{r.cstr()};
  return r.finish(c);
}

void encode_command_complete(std::string& out, std::string_view tag) {
  Writer w(out);
  const auto mark = w.begin(be::kCommandComplete);
  w.cstr(tag);
  w.end(mark);
}

std::expected<NotificationResponse, WireError> parse_notification_response(Bytes body) {
  detail::MessageReader r(body, "NotificationResponse");
  NotificationResponse n;
  n.pid = r.i32();
  n.channel = r.cstr();
  n.payload = r.cstr();
  return r.finish(n);
}

void encode_notification_response(std::string& out, std::int32_t pid, std::string_view channel,
                                  std::string_view payload) {
  Writer w(out);
  const auto mark = w.begin(be::kNotificationResponse);
  w.i32(pid);
  w.cstr(channel);
  w.cstr(payload);
  w.end(mark);
}

std::expected<ParameterDescription, WireError> parse_parameter_description(Bytes body) {
  detail::MessageReader r(body, "ParameterDescription");
  ParameterDescription p{r.oid_array()};
  return r.finish(p);
}

void encode_parameter_description(std::string& out, std::span<const std::uint32_t> types) {
  Writer w(out);
  const auto mark = w.begin(be::kParameterDescription);
  w.count16(types.size());
  for (const auto oid : types) w.u32(oid);
  w.end(mark);
}

std::expected<FunctionCallResponse, WireError> parse_function_call_response(Bytes body) {
  detail::MessageReader r(body, "FunctionCallResponse");
  FunctionCallResponse f{r.value()};
  return r.finish(f);
}

void encode_function_call_response(std::string& out, const Value& result) {
  Writer w(out);
  const auto mark = w.begin(be::kFunctionCallResponse);
  write_value(w, result);
  w.end(mark);
}

void encode_parse_complete(std::string& out) { encode_empty(out, be::kParseComplete); }
void encode_bind_complete(std::string& out) { encode_empty(out, be::kBindComplete); }
void encode_close_complete(std::string& out) { encode_empty(out, be::kCloseComplete); }
void encode_no_data(std::string& out) { encode_empty(out, be::kNoData); }
void encode_empty_query_response(std::string& out) { encode_empty(out, be::kEmptyQueryResponse); }
void encode_portal_suspended(std::string& out) { encode_empty(out, be::kPortalSuspended); }

}  // namespace pgwire
