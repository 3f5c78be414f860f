#include "proxy/statement_refusal.h"

#include <fmt/format.h>

#include <charconv>
#include <random>

#include "proxy/wire/frontend_messages.h"
#include "proxy/wire/message_types.h"

namespace proxy {
namespace {

// Refusals whose substitute the server skipped are dropped when a later one is answered; this
// bounds the rest (a client pipelining refusals behind one error, never reading).
constexpr std::size_t kMaxPending = 256;

}  // namespace

RequestRefusals::RequestRefusals() {
  std::random_device random;
  const std::uint64_t nonce = (std::uint64_t{random()} << 32) | random();
  token_ = fmt::format("pgveil_refused_{:016x}_", nonce);   // < 63 bytes, so never truncated
}

bool RequestRefusals::substitute(char type, pgwire::Bytes body, pgwire::ErrorFields error, std::string& out) {
  const std::uint64_t id = next_++;
  const std::string word = token_ + std::to_string(id);
  if (type == pgwire::fe::kQuery || type == pgwire::fe::kFunctionCall) {
    // A FunctionCall is answered like a Query: a result or an error, then ReadyForQuery.
    pgwire::encode_query(out, word);
  } else if (type == pgwire::fe::kParse) {
    auto parse = pgwire::parse_parse(body);
    if (!parse) return false;
    pgwire::encode_parse(out, parse->statement, word);   // same name: later Binds fail as they would
  } else {
    return false;
  }
  if (pending_.size() == kMaxPending) pending_.pop_front();
  pending_.emplace_back(id, std::move(error));
  return true;
}

bool RequestRefusals::swap_error(const pgwire::ErrorFields& server_error, std::string& out) {
  if (pending_.empty() || server_error.sqlstate != "42601") return false;
  // The message is localized (lc_messages) but always quotes the word.
  const std::size_t at = server_error.message.find(token_);
  if (at == std::string::npos) return false;
  const char* digits = server_error.message.data() + at + token_.size();
  std::uint64_t id = 0;
  if (std::from_chars(digits, server_error.message.data() + server_error.message.size(), id).ec != std::errc{}) {
    return false;
  }
  while (!pending_.empty() && pending_.front().first < id) pending_.pop_front();
  if (pending_.empty() || pending_.front().first != id) return false;
  pgwire::encode_error_response(out, pending_.front().second);
  pending_.pop_front();
  return true;
}

}  // namespace proxy
