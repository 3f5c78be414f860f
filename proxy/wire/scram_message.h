// Splitting SCRAM messages into attributes (RFC 5802 section 7). Internal to the exchanges.
//
// Every SCRAM message after the GS2 header is a comma-separated list of `attr=value` where attr is
// one ASCII letter and a value never contains ',' or NUL, so splitting on ',' is exact.
#pragma once

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace pgwire::scram::detail {

struct Attribute {
  char name = 0;
  std::string_view value;
  std::size_t offset = 0;  // where "name=" starts in the message
};

// Fails on an empty message, an empty field (",," or a trailing ','), a field that is not
// letter '=' ..., a NUL byte, or a message longer than kMaxMessageLength.
std::expected<std::vector<Attribute>, std::string> split_attributes(std::string_view message);

// RFC 5802 "printable": %x21-2B / %x2D-7E, i.e. visible ASCII except ','. Non-empty.
bool is_valid_nonce(std::string_view nonce);

// saslname: '=' only as "=2C" or "=3D" (RFC 5802 section 5.1). Empty is allowed because libpq
// sends "n=," (PostgreSQL takes the user name from the startup packet).
bool is_valid_saslname(std::string_view name);
std::string escape_saslname(std::string_view name);

// Strictly decimal, no sign or spaces, within 1..kMaxIterations.
std::expected<int, std::string> parse_iterations(std::string_view text);

// For error messages: at most max_len characters, non-printable bytes as '?'. Never use it on
// secrets (proofs, signatures, passwords): those are simply not mentioned.
std::string printable(std::string_view text, std::size_t max_len = 32);

}  // namespace pgwire::scram::detail
