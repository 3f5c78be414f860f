#include "proxy/wire/frontend_messages.h"

#include "proxy/wire/message_reader.h"
#include "proxy/wire/message_types.h"

namespace pgwire {
namespace {

void write_int16s(Writer& w, std::span<const std::int16_t> values) {
  w.count16(values.size());
  for (const auto v : values) w.i16(v);
}

char read_target(detail::MessageReader& r) {
  const char target = static_cast<char>(r.u8());
  if (r.ok() && target != kTargetStatement && target != kTargetPortal) {
    r.fail(fmt::format("target {:#04x} is neither 'S' (statement) nor 'P' (portal)",
                       static_cast<unsigned char>(target)));
  }
  return target;
}

void encode_target(std::string& out, char type, char target, std::string_view name) {
  Writer w(out);
  const auto mark = w.begin(type);
  w.u8(static_cast<std::uint8_t>(target));
  w.cstr(name);
  w.end(mark);
}

}  // namespace

std::expected<Query, WireError> parse_query(Bytes body) {
  detail::MessageReader r(body, "Query");
  Query q{r.cstr()};
  return r.finish(q);
}

void encode_query(std::string& out, std::string_view sql) {
  Writer w(out);
  const auto mark = w.begin(fe::kQuery);
  w.cstr(sql);
  w.end(mark);
}

std::expected<Parse, WireError> parse_parse(Bytes body) {
  detail::MessageReader r(body, "Parse");
  Parse p;
  p.statement = r.cstr();
  p.query = r.cstr();
  p.parameter_types = r.oid_array();
  return r.finish(p);
}

void encode_parse(std::string& out, std::string_view statement, std::string_view query,
                  std::span<const std::uint32_t> parameter_types) {
  Writer w(out);
  const auto mark = w.begin(fe::kParse);
  w.cstr(statement);
  w.cstr(query);
  w.count16(parameter_types.size());
  for (const auto oid : parameter_types) w.u32(oid);
  w.end(mark);
}

std::optional<std::int16_t> format_for(const Int16Array& formats, std::size_t i) {
  if (formats.empty()) return kFormatText;
  if (formats.size() == 1) return formats[0];
  if (i < formats.size()) return formats[i];
  return std::nullopt;
}

std::optional<std::int16_t> Bind::parameter_format(std::size_t i) const { return format_for(parameter_formats, i); }
std::optional<std::int16_t> Bind::result_format(std::size_t column) const { return format_for(result_formats, column); }

std::expected<Bind, WireError> parse_bind(Bytes body) {
  detail::MessageReader r(body, "Bind");
  Bind b;
  b.portal = r.cstr();
  b.statement = r.cstr();
  b.parameter_formats = r.int16_array();
  b.parameters = r.values();
  b.result_formats = r.int16_array();
  return r.finish(b);
}

void encode_bind(std::string& out, std::string_view portal, std::string_view statement,
                 std::span<const std::int16_t> parameter_formats, std::span<const Value> parameters,
                 std::span<const std::int16_t> result_formats) {
  Writer w(out);
  const auto mark = w.begin(fe::kBind);
  w.cstr(portal);
  w.cstr(statement);
  write_int16s(w, parameter_formats);
  write_values(w, parameters);
  write_int16s(w, result_formats);
  w.end(mark);
}

std::expected<Describe, WireError> parse_describe(Bytes body) {
  detail::MessageReader r(body, "Describe");
  Describe d;
  d.target = read_target(r);
  d.name = r.cstr();
  return r.finish(d);
}

void encode_describe(std::string& out, char target, std::string_view name) {
  encode_target(out, fe::kDescribe, target, name);
}

std::expected<Execute, WireError> parse_execute(Bytes body) {
  detail::MessageReader r(body, "Execute");
  Execute e;
  e.portal = r.cstr();
  e.max_rows = r.i32();
  return r.finish(e);
}

void encode_execute(std::string& out, std::string_view portal, std::int32_t max_rows) {
  Writer w(out);
  const auto mark = w.begin(fe::kExecute);
  w.cstr(portal);
  w.i32(max_rows);
  w.end(mark);
}

std::expected<Close, WireError> parse_close(Bytes body) {
  detail::MessageReader r(body, "Close");
  Close c;
  c.target = read_target(r);
  c.name = r.cstr();
  return r.finish(c);
}

void encode_close(std::string& out, char target, std::string_view name) {
  encode_target(out, fe::kClose, target, name);
}

std::expected<FunctionCall, WireError> parse_function_call(Bytes body) {
  detail::MessageReader r(body, "FunctionCall");
  FunctionCall f;
  f.function_oid = r.u32();
  f.argument_formats = r.int16_array();
  f.arguments = r.values();
  f.result_format = r.i16();
  return r.finish(f);
}

void encode_function_call(std::string& out, std::uint32_t function_oid, std::span<const std::int16_t> argument_formats,
                          std::span<const Value> arguments, std::int16_t result_format) {
  Writer w(out);
  const auto mark = w.begin(fe::kFunctionCall);
  w.u32(function_oid);
  write_int16s(w, argument_formats);
  write_values(w, arguments);
  w.i16(result_format);
  w.end(mark);
}

void encode_empty(std::string& out, char type) {
  Writer w(out);
  w.end(w.begin(type));
}

std::expected<void, WireError> parse_empty(Bytes body, std::string_view name) {
  detail::MessageReader r(body, name);
  return r.finish();
}

void encode_sync(std::string& out) { encode_empty(out, fe::kSync); }
void encode_flush(std::string& out) { encode_empty(out, fe::kFlush); }
void encode_terminate(std::string& out) { encode_empty(out, fe::kTerminate); }

}  // namespace pgwire
