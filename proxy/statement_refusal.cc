#include "proxy/statement_refusal.h"

#include <fmt/format.h>

#include "proxy/wire/frontend_messages.h"

namespace proxy {
namespace {

// A string literal that reads the same under standard_conforming_strings on or off: no
// backslashes, quotes doubled, no dollar signs (the body is dollar-quoted), no control characters.
std::string literal(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "''";
    } else if (c == '\\' || c == '$') {
      out += c == '$' ? 'S' : '/';
    } else if (static_cast<unsigned char>(c) >= 0x20) {
      out += c;
    }
  }
  out += "'";
  return out;
}

}  // namespace

std::string refusal_sql(const StatementRefusal& refusal) {
  std::string code;
  for (char c : refusal.sqlstate) {
    if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')) code += c;
  }
  if (code.size() != 5) code = "42501";
  return fmt::format("DO $pgveil_refusal$ BEGIN RAISE EXCEPTION USING ERRCODE = '{}', MESSAGE = {}, HINT = {}; "
                     "END $pgveil_refusal$",
                     code, literal(refusal.message), literal(refusal.hint));
}

void encode_refusal_query(std::string& out, const StatementRefusal& refusal) {
  pgwire::encode_query(out, refusal_sql(refusal));
}

void encode_refusal_execute(std::string& out, const StatementRefusal& refusal) {
  pgwire::encode_close(out, pgwire::kTargetStatement, kRefusalName);
  pgwire::encode_parse(out, kRefusalName, refusal_sql(refusal));
  pgwire::encode_bind(out, kRefusalName, kRefusalName, {}, {}, {});
  pgwire::encode_execute(out, kRefusalName, 0);
}

}  // namespace proxy
