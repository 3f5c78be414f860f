#include "proxy/wire/copy_messages.h"

#include "proxy/wire/message_reader.h"
#include "proxy/wire/message_types.h"

namespace pgwire {

void encode_copy_data(std::string& out, Bytes data) {
  Writer w(out);
  const auto mark = w.begin(be::kCopyData);  // 'd' on both sides
  w.bytes(data);
  w.end(mark);
}

void encode_copy_data(std::string& out, std::string_view data) { encode_copy_data(out, as_bytes(data)); }

void encode_copy_done(std::string& out) {
  Writer w(out);
  w.end(w.begin(be::kCopyDone));  // 'c' on both sides
}

std::expected<CopyFail, WireError> parse_copy_fail(Bytes body) {
  detail::MessageReader r(body, "CopyFail");
  CopyFail f{r.cstr()};
  return r.finish(f);
}

void encode_copy_fail(std::string& out, std::string_view message) {
  Writer w(out);
  const auto mark = w.begin(fe::kCopyFail);
  w.cstr(message);
  w.end(mark);
}

std::expected<CopyResponse, WireError> parse_copy_response(Bytes body) {
  detail::MessageReader r(body, "Copy*Response");
  CopyResponse c;
  c.format = static_cast<std::int8_t>(r.u8());
  c.column_formats = r.int16_array();
  if (r.ok() && c.format != kFormatText && c.format != kFormatBinary) {
    r.fail(fmt::format("overall format {} is neither 0 (text) nor 1 (binary)", c.format));
  }
  if (r.ok()) {
    for (const auto f : c.column_formats) {
      if (f != kFormatText && f != kFormatBinary) {
        r.fail(fmt::format("column format {} is neither 0 (text) nor 1 (binary)", f));
        break;
      }
      if (c.format == kFormatText && f != kFormatText) {
        r.fail("binary column in a text COPY");
        break;
      }
    }
  }
  return r.finish(c);
}

void encode_copy_response(std::string& out, char type, std::int8_t format, std::span<const std::int16_t> column_formats) {
  Writer w(out);
  const auto mark = w.begin(type);
  w.u8(static_cast<std::uint8_t>(format));
  w.count16(column_formats.size());
  for (const auto f : column_formats) w.i16(f);
  w.end(mark);
}

void encode_copy_in_response(std::string& out, std::int8_t format, std::span<const std::int16_t> column_formats) {
  encode_copy_response(out, be::kCopyInResponse, format, column_formats);
}
void encode_copy_out_response(std::string& out, std::int8_t format, std::span<const std::int16_t> column_formats) {
  encode_copy_response(out, be::kCopyOutResponse, format, column_formats);
}
void encode_copy_both_response(std::string& out, std::int8_t format, std::span<const std::int16_t> column_formats) {
  encode_copy_response(out, be::kCopyBothResponse, format, column_formats);
}

}  // namespace pgwire
