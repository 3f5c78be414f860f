// pgveil as the SCRAM client of the upstream PostgreSQL (RFC 5802 section 5;
// PostgreSQL src/interfaces/libpq/fe-auth-scram.c).
#include <algorithm>
#include <stdexcept>

#include "proxy/wire/scram.h"
#include "proxy/wire/scram_cache.h"
#include "proxy/wire/scram_common.h"
#include "proxy/wire/scram_message.h"

namespace pgwire::scram {

using detail::Attribute;

namespace {
detail::SecretString prepare(std::string& password) {
  detail::SecretString raw(std::move(password));
  return detail::SecretString(saslprep(raw.view()));
}
}  // namespace

ClientExchange::ClientExchange(std::string password, std::string cbind_data)
    : password_(prepare(password)), cbind_data_(std::move(cbind_data)) {
  auto nonce = detail::random_nonce();
  if (!nonce) throw std::runtime_error("RAND_bytes failed: no randomness for a SCRAM nonce");
  client_nonce_ = std::move(*nonce);
}

ClientExchange::ClientExchange(std::string password, std::string cbind_data, FixedNonce client_nonce,
                               std::string_view user)
    : password_(prepare(password)),
      cbind_data_(std::move(cbind_data)),
      client_nonce_(std::move(client_nonce.value)),
      user_(detail::escape_saslname(user)) {}

std::unexpected<std::string> ClientExchange::fail(std::string message) {
  state_ = State::kFailed;
  password_.wipe();
  return std::unexpected(std::move(message));
}

std::expected<std::string, std::string> ClientExchange::choose_mechanism(
    std::span<const std::string> offered) {
  if (state_ != State::kInitial) return fail("SCRAM exchange out of order: mechanism chosen after client-first");
  const auto has = [&](std::string_view m) { return std::find(offered.begin(), offered.end(), m) != offered.end(); };
  if (!cbind_data_.empty() && has(kMechanismPlus)) {
    plus_ = true;
    return std::string(kMechanismPlus);
  }
  if (has(kMechanism)) {
    plus_ = false;
    return std::string(kMechanism);
  }
  if (has(kMechanismPlus)) {
    return fail("upstream offers only SCRAM-SHA-256-PLUS, but there is no TLS channel binding data");
  }
  return fail("upstream offered no supported SASL mechanism (need SCRAM-SHA-256)");
}

std::string ClientExchange::client_first() {
  if (client_first_bare_.empty()) {
    // "y,,": we could bind but the server did not offer -PLUS; a server that does support it
    // then knows the list was tampered with (RFC 5802 section 6).
    gs2_header_ = plus_ ? "p=" + std::string(kChannelBindingType) + ",,"
                        : (cbind_data_.empty() ? "n,," : "y,,");
    client_first_bare_ = "n=" + user_ + ",r=" + client_nonce_;
    if (state_ == State::kInitial) state_ = State::kFirstSent;
  }
  return gs2_header_ + client_first_bare_;
}

std::expected<std::string, std::string> ClientExchange::on_server_first(std::string_view data) {
  if (state_ != State::kFirstSent) return fail("SCRAM exchange out of order: unexpected server-first-message");
  // server-first-message = [reserved-mext ","] nonce "," salt "," iteration-count ["," extensions]
  auto attrs = detail::split_attributes(data);
  if (!attrs) return fail("malformed server-first-message: " + attrs.error());
  const std::vector<Attribute>& a = *attrs;
  if (a[0].name == 'm') return fail("upstream requires an unsupported SCRAM extension (m=)");
  if (a.size() < 3 || a[0].name != 'r' || a[1].name != 's' || a[2].name != 'i') {
    return fail("malformed server-first-message: expected r=...,s=...,i=...");
  }
  const std::string_view nonce = a[0].value;
  // The server must echo our nonce and append its own part.
  if (!detail::is_valid_nonce(nonce) || nonce.size() <= client_nonce_.size() ||
      !nonce.starts_with(client_nonce_)) {
    return fail("SCRAM nonce mismatch in server-first-message");
  }
  auto salt = detail::base64_decode(a[1].value);
  if (!salt || salt->empty()) return fail("malformed server-first-message: invalid salt");
  auto iterations = detail::parse_iterations(a[2].value);
  if (!iterations) return fail("malformed server-first-message: " + iterations.error());

  const std::string without_proof =
      "c=" + detail::base64_encode(gs2_header_ + (plus_ ? cbind_data_ : std::string())) + ",r=" +
      std::string(nonce);
  const std::string auth_message = client_first_bare_ + "," + std::string(data) + "," + without_proof;

  std::optional<Key> salted = cache_ ? cache_->find(password_.view(), *salt, *iterations) : std::nullopt;
  if (!salted) {
    salted = detail::salted_password(password_.view(), *salt, *iterations);
    if (salted && cache_) cache_->store(password_.view(), *salt, *iterations, *salted);
  }
  password_.wipe();  // not needed any more
  if (!salted) return fail("SCRAM: PBKDF2-HMAC-SHA-256 failed");
  auto keys = detail::key_schedule(*salted);
  detail::cleanse(salted->data(), salted->size());
  if (!keys) return fail("SCRAM: HMAC-SHA-256 failed");
  auto client_signature = detail::hmac_sha256(keys->stored_key, auth_message);
  auto server_signature = detail::hmac_sha256(keys->server_key, auth_message);
  if (!client_signature || !server_signature) return fail("SCRAM: HMAC-SHA-256 failed");
  Key proof{};
  for (std::size_t i = 0; i < kKeyLength; ++i) proof[i] = keys->client_key[i] ^ (*client_signature)[i];
  server_signature_ = *server_signature;
  state_ = State::kFinalSent;
  return without_proof + ",p=" + detail::base64_encode(proof);
}

std::expected<void, std::string> ClientExchange::on_server_final(std::string_view data) {
  if (state_ != State::kFinalSent) return fail("SCRAM exchange out of order: unexpected server-final-message");
  // server-final-message = (server-error / verifier) ["," extensions]
  auto attrs = detail::split_attributes(data);
  if (!attrs) return fail("malformed server-final-message: " + attrs.error());
  const Attribute& first = attrs->front();
  if (first.name == 'e') {
    return fail("upstream rejected SCRAM authentication: " + detail::printable(first.value, 64));
  }
  if (first.name != 'v') return fail("malformed server-final-message: expected v=...");
  auto signature = detail::base64_decode(first.value);
  if (!signature || signature->size() != kKeyLength) {
    return fail("malformed server-final-message: invalid server signature");
  }
  // Constant time, so a fake upstream learns nothing from how fast we reject its guess.
  if (!detail::constant_time_equal(detail::bytes_of(*signature), server_signature_)) {
    return fail("invalid SCRAM server signature: upstream did not prove it knows the password");
  }
  detail::cleanse(server_signature_.data(), server_signature_.size());
  state_ = State::kDone;
  return {};
}

}  // namespace pgwire::scram
