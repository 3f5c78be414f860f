// COPY sub-protocol (PG docs "COPY Operations", "Message Formats"; PROTOCOL.md 23-24).
//
//   CopyData 'd' (both sides)   ByteN: a row of text/CSV, or any slice of the binary stream
//   CopyDone 'c' (both sides)   no body
//   CopyFail 'f' (frontend)     String error message
//   CopyInResponse 'G', CopyOutResponse 'H', CopyBothResponse 'W' (backend)
//                               Int8 overall format (0 text, 1 binary), Int16 count,
//                               count x Int16 column format (all 0 when the overall is text)
#pragma once

#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>

#include "proxy/wire/bytes.h"
#include "proxy/wire/views.h"

namespace pgwire {

void encode_copy_data(std::string& out, Bytes data);
void encode_copy_data(std::string& out, std::string_view data);
void encode_copy_done(std::string& out);

struct CopyFail {
  std::string_view message;
};
std::expected<CopyFail, WireError> parse_copy_fail(Bytes body);
void encode_copy_fail(std::string& out, std::string_view message);

struct CopyResponse {
  std::int8_t format;  // overall: kFormatText or kFormatBinary
  Int16Array column_formats;
};
// Body of 'G', 'H' or 'W'. Rejects an overall format other than 0/1 and a text COPY with a
// binary column: masking COPY text relies on both (PROTOCOL.md 23).
std::expected<CopyResponse, WireError> parse_copy_response(Bytes body);
// type: be::kCopyInResponse, be::kCopyOutResponse or be::kCopyBothResponse.
void encode_copy_response(std::string& out, char type, std::int8_t format, std::span<const std::int16_t> column_formats);
void encode_copy_in_response(std::string& out, std::int8_t format, std::span<const std::int16_t> column_formats);
void encode_copy_out_response(std::string& out, std::int8_t format, std::span<const std::int16_t> column_formats);
void encode_copy_both_response(std::string& out, std::int8_t format, std::span<const std::int16_t> column_formats);

}  // namespace pgwire
