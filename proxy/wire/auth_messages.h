// Authentication exchange (PG docs "Message Formats", "SASL Authentication"; PROTOCOL.md 11-13).
//
//   Authentication 'R'   Int32 code, then by code:
//       0 Ok, 2 KerberosV5, 3 CleartextPassword, 6 SCMCredential, 7 GSS, 9 SSPI: nothing
//       5 MD5Password: Byte4 salt          8 GSSContinue: ByteN data
//       10 SASL: { String mechanism }* String("")   11 SASLContinue, 12 SASLFinal: ByteN data
//   Frontend 'p', read by the phase the backend put the client in:
//       PasswordMessage       String password (cleartext or "md5...")
//       SASLInitialResponse   String mechanism, Int32 length (-1 = none), Byte_n client-first-message
//       SASLResponse          ByteN client-final-message       GSSResponse   ByteN
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/wire/bytes.h"

namespace pgwire {

inline constexpr std::int32_t kAuthOk = 0, kAuthKerberosV5 = 2, kAuthCleartext = 3, kAuthMd5 = 5,
                              kAuthScmCredential = 6, kAuthGss = 7, kAuthGssContinue = 8, kAuthSspi = 9,
                              kAuthSasl = 10, kAuthSaslContinue = 11, kAuthSaslFinal = 12;

struct Authentication {
  std::int32_t code;
  Bytes data;  // code 5: the 4-byte salt; 8, 11, 12: the payload; 10: the raw mechanism list
  std::vector<std::string> mechanisms;  // code 10 only, in the server's order of preference
};
// Rejects unknown codes, a salt that is not 4 bytes, data after a code that has none, and a
// SASL list that is empty or lacks its terminating empty string.
std::expected<Authentication, WireError> parse_authentication(Bytes body);

struct SaslInitialResponse {
  std::string_view mechanism;
  std::optional<Bytes> data;  // nullopt when the length is -1 (no initial response)
};
std::expected<SaslInitialResponse, WireError> parse_sasl_initial_response(Bytes body);
// PasswordMessage: the password without its NUL.
std::expected<std::string_view, WireError> parse_password_message(Bytes body);
// SASLResponse / GSSResponse bodies are the payload itself: no parsing needed beyond framing.

// Backend side.
void encode_authentication_ok(std::string& out);
void encode_authentication_cleartext(std::string& out);
void encode_authentication_md5(std::string& out, std::array<std::uint8_t, 4> salt);
void encode_authentication_sasl(std::string& out, std::span<const std::string> mechanisms);
void encode_authentication_sasl_continue(std::string& out, std::string_view data);
void encode_authentication_sasl_final(std::string& out, std::string_view data);
// Any code with its raw data (the ones above, and 2, 6, 7, 8, 9 which pgveil never offers).
void encode_authentication(std::string& out, std::int32_t code, Bytes data = {});

// Frontend side.
void encode_password_message(std::string& out, std::string_view password);  // NUL-terminated
void encode_sasl_initial_response(std::string& out, std::string_view mechanism, std::string_view data);
void encode_sasl_initial_response(std::string& out, std::string_view mechanism, std::optional<Bytes> data);
void encode_sasl_response(std::string& out, std::string_view data);

}  // namespace pgwire
