// The stored form of a SCRAM secret, as PostgreSQL keeps it in pg_authid.rolpassword
// (src/backend/libpq/auth-scram.c: scram_build_secret / parse_scram_secret).
#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>

#include "proxy/wire/scram.h"
#include "proxy/wire/scram_common.h"
#include "proxy/wire/scram_message.h"

namespace pgwire::scram {

namespace {
constexpr std::string_view kPrefix = "SCRAM-SHA-256$";

std::optional<Key> decode_key(std::string_view b64) {
  auto raw = detail::base64_decode(b64);
  if (!raw || raw->size() != kKeyLength) return std::nullopt;
  Key key{};
  std::copy(raw->begin(), raw->end(), key.begin());
  detail::cleanse(raw->data(), raw->size());
  return key;
}
}  // namespace

std::string Verifier::to_string() const {
  return std::string(kPrefix) + std::to_string(iterations) + ":" + detail::base64_encode(salt) +
         "$" + detail::base64_encode(stored_key) + ":" + detail::base64_encode(server_key);
}

std::expected<Verifier, std::string> Verifier::parse(std::string_view text) {
  // Error strings describe the part that is wrong but never echo the keys.
  if (!text.starts_with(kPrefix)) return std::unexpected("not a SCRAM-SHA-256 verifier");
  text.remove_prefix(kPrefix.size());
  const std::size_t colon1 = text.find(':');
  const std::size_t dollar = text.find('$');
  if (colon1 == std::string_view::npos || dollar == std::string_view::npos || dollar < colon1) {
    return std::unexpected("malformed SCRAM verifier: expected <iterations>:<salt>$<StoredKey>:<ServerKey>");
  }
  const std::string_view keys = text.substr(dollar + 1);
  const std::size_t colon2 = keys.find(':');
  if (colon2 == std::string_view::npos) {
    return std::unexpected("malformed SCRAM verifier: expected <StoredKey>:<ServerKey>");
  }
  Verifier v;
  auto iterations = detail::parse_iterations(text.substr(0, colon1));
  if (!iterations) return std::unexpected("malformed SCRAM verifier: " + iterations.error());
  v.iterations = *iterations;
  auto salt = detail::base64_decode(text.substr(colon1 + 1, dollar - colon1 - 1));
  if (!salt || salt->empty()) return std::unexpected("malformed SCRAM verifier: invalid salt");
  v.salt = std::move(*salt);
  auto stored = decode_key(keys.substr(0, colon2));
  if (!stored) return std::unexpected("malformed SCRAM verifier: invalid StoredKey");
  auto server = decode_key(keys.substr(colon2 + 1));
  if (!server) return std::unexpected("malformed SCRAM verifier: invalid ServerKey");
  v.stored_key = *stored;
  v.server_key = *server;
  return v;
}

Verifier make_verifier_with_salt(std::string_view password, std::string_view salt, int iterations) {
  if (iterations < 1 || iterations > kMaxIterations) {
    throw std::invalid_argument("SCRAM iteration count out of range");
  }
  if (salt.empty()) throw std::invalid_argument("SCRAM salt must not be empty");
  detail::SecretString prepared(saslprep(password));
  auto salted = detail::salted_password(prepared.view(), salt, iterations);
  if (!salted) throw std::runtime_error("PBKDF2-HMAC-SHA-256 failed");
  auto keys = detail::key_schedule(*salted);
  detail::cleanse(salted->data(), salted->size());
  if (!keys) throw std::runtime_error("HMAC-SHA-256 failed");
  Verifier v;
  v.iterations = iterations;
  v.salt = std::string(salt);
  v.stored_key = keys->stored_key;
  v.server_key = keys->server_key;
  return v;
}

Verifier make_verifier(std::string_view password, int iterations) {
  std::array<std::uint8_t, kDefaultSaltLength> salt{};
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed: no randomness for a SCRAM salt");
  }
  return make_verifier_with_salt(password, detail::chars_of(salt), iterations);
}

}  // namespace pgwire::scram
