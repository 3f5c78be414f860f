// pgveil as the SCRAM server (RFC 5802 section 5; PostgreSQL src/backend/libpq/auth-scram.c).
#include <algorithm>

#include "proxy/wire/scram.h"
#include "proxy/wire/scram_common.h"
#include "proxy/wire/scram_message.h"

namespace pgwire::scram {

using detail::Attribute;

ServerExchange::ServerExchange(Verifier verifier, std::string cbind_data)
    : verifier_(std::move(verifier)), cbind_data_(std::move(cbind_data)) {}

ServerExchange::ServerExchange(Verifier verifier, std::string cbind_data, FixedNonce server_nonce)
    : verifier_(std::move(verifier)),
      cbind_data_(std::move(cbind_data)),
      fixed_nonce_(std::move(server_nonce.value)) {}

std::vector<std::string> ServerExchange::mechanisms(bool tls_with_cbind) {
  if (tls_with_cbind) return {std::string(kMechanismPlus), std::string(kMechanism)};
  return {std::string(kMechanism)};
}

std::unexpected<std::string> ServerExchange::fail(std::string message) {
  state_ = State::kFailed;
  return std::unexpected(std::move(message));
}

std::expected<std::string, std::string> ServerExchange::on_client_first(std::string_view mechanism,
                                                                        std::string_view data) {
  if (state_ != State::kInitial) return fail("SCRAM exchange out of order: unexpected client-first-message");
  const bool offered_plus = !cbind_data_.empty();
  if (mechanism == kMechanismPlus) {
    // Choosing -PLUS when we did not offer it means the client and we disagree about TLS.
    if (!offered_plus) return fail("client selected SCRAM-SHA-256-PLUS, which was not offered");
    channel_binding_ = true;
  } else if (mechanism != kMechanism) {
    return fail("client selected an unsupported SASL mechanism \"" + detail::printable(mechanism) + "\"");
  }
  if (verifier_.salt.empty() || verifier_.iterations < 1) return fail("SCRAM verifier is not usable");
  if (data.size() > kMaxMessageLength) return fail("client-first-message too long");
  if (data.find('\0') != std::string_view::npos) return fail("malformed client-first-message: NUL byte");

  // gs2-header = gs2-cbind-flag "," [ authzid ] ","   (RFC 5802 section 7)
  const std::size_t flag_end = data.find(',');
  if (data.empty() || flag_end == std::string_view::npos) {
    return fail("malformed client-first-message: missing GS2 header");
  }
  const std::string_view flag = data.substr(0, flag_end);
  if (flag == "n" || flag == "y") {
    if (channel_binding_) {
      return fail("client selected SCRAM-SHA-256-PLUS but sent no channel binding data");
    }
    if (flag == "y" && offered_plus) {
      // "y": the client supports channel binding but believes we do not. We offered -PLUS, so
      // someone removed it from the mechanism list: a downgrade attack (RFC 5802 section 6).
      return fail("SCRAM channel binding downgrade detected: client thinks the server does not "
                  "support channel binding, but SCRAM-SHA-256-PLUS was offered");
    }
  } else if (flag.starts_with("p=")) {
    if (!channel_binding_) {
      return fail("client selected SCRAM-SHA-256 without channel binding but sent channel binding data");
    }
    if (flag.substr(2) != kChannelBindingType) {
      return fail("unsupported SCRAM channel binding type \"" + detail::printable(flag.substr(2)) + "\"");
    }
  } else {
    return fail("malformed client-first-message: invalid channel binding flag");
  }
  std::string_view rest = data.substr(flag_end + 1);
  if (rest.starts_with("a=")) return fail("SCRAM authorization identity (a=) is not supported");
  if (!rest.starts_with(',')) return fail("malformed client-first-message: invalid GS2 header");
  gs2_header_ = std::string(data.substr(0, flag_end + 2));
  const std::string_view bare = rest.substr(1);

  // client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]
  auto attrs = detail::split_attributes(bare);
  if (!attrs) return fail("malformed client-first-message: " + attrs.error());
  const std::vector<Attribute>& a = *attrs;
  if (a[0].name == 'm') return fail("client requires an unsupported SCRAM extension (m=)");
  if (a.size() < 2 || a[0].name != 'n' || a[1].name != 'r') {
    return fail("malformed client-first-message: expected n=<user>,r=<nonce>");
  }
  // The user name is ignored, like PostgreSQL does: the startup packet named the role.
  if (!detail::is_valid_saslname(a[0].value)) return fail("malformed client-first-message: invalid user name encoding");
  if (!detail::is_valid_nonce(a[1].value)) return fail("malformed client-first-message: invalid nonce");
  // Any further attributes are optional extensions, which we ignore (RFC 5802 section 5.1).

  std::string server_nonce = fixed_nonce_;
  if (server_nonce.empty()) {
    auto fresh = detail::random_nonce();
    if (!fresh) return fail("could not generate a SCRAM nonce");
    server_nonce = std::move(*fresh);
  }
  nonce_ = std::string(a[1].value) + server_nonce;
  client_first_bare_ = std::string(bare);
  server_first_ = "r=" + nonce_ + ",s=" + detail::base64_encode(verifier_.salt) +
                  ",i=" + std::to_string(verifier_.iterations);
  state_ = State::kFirstDone;
  return server_first_;
}

std::expected<std::string, std::string> ServerExchange::on_client_final(std::string_view data) {
  if (state_ != State::kFirstDone) return fail("SCRAM exchange out of order: unexpected client-final-message");
  // client-final-message = channel-binding "," nonce ["," extensions] "," proof
  auto attrs = detail::split_attributes(data);
  if (!attrs) return fail("malformed client-final-message: " + attrs.error());
  const std::vector<Attribute>& a = *attrs;
  if (a.size() < 3 || a[0].name != 'c' || a[1].name != 'r' || a.back().name != 'p') {
    return fail("malformed client-final-message: expected c=...,r=...,p=...");
  }
  if (std::any_of(a.begin() + 2, a.end() - 1, [](const Attribute& x) { return x.name == 'p'; })) {
    return fail("malformed client-final-message: the proof must be the last attribute");
  }

  // c= must carry the GS2 header of client-first exactly, plus our certificate hash when bound.
  // Comparing the whole header (not just "biws"/"eSws") also catches a "n"/"y" swap.
  auto cbind = detail::base64_decode(a[0].value);
  if (!cbind) return fail("malformed client-final-message: channel binding is not base64");
  const std::string expected_cbind = gs2_header_ + (channel_binding_ ? cbind_data_ : std::string());
  if (!detail::constant_time_equal(detail::bytes_of(*cbind), detail::bytes_of(expected_cbind))) {
    return fail("SCRAM channel binding check failed");
  }
  if (a[1].value != nonce_) {
    return fail("SCRAM nonce mismatch: client-final-message does not belong to this exchange");
  }
  auto proof = detail::base64_decode(a.back().value);
  if (!proof || proof->size() != kKeyLength) return fail("malformed client-final-message: invalid proof");

  // AuthMessage := client-first-message-bare + "," + server-first-message + "," +
  //                client-final-message-without-proof
  const std::string_view without_proof = data.substr(0, a.back().offset - 1);
  const std::string auth_message = client_first_bare_ + "," + server_first_ + "," + std::string(without_proof);

  // ClientKey := ClientProof XOR HMAC(StoredKey, AuthMessage); accept iff H(ClientKey) == StoredKey.
  auto client_signature = detail::hmac_sha256(verifier_.stored_key, auth_message);
  if (!client_signature) return fail("SCRAM: HMAC-SHA-256 failed");
  Key client_key{};
  for (std::size_t i = 0; i < kKeyLength; ++i) {
    client_key[i] = static_cast<std::uint8_t>((*proof)[i]) ^ (*client_signature)[i];
  }
  auto computed_stored = detail::sha256(client_key);
  detail::cleanse(client_key.data(), client_key.size());
  detail::cleanse(proof->data(), proof->size());
  if (!computed_stored) return fail("SCRAM: SHA-256 failed");
  if (!detail::constant_time_equal(*computed_stored, verifier_.stored_key)) {
    return fail("SCRAM authentication failed: invalid proof (wrong password)");
  }

  auto server_signature = detail::hmac_sha256(verifier_.server_key, auth_message);
  if (!server_signature) return fail("SCRAM: HMAC-SHA-256 failed");
  state_ = State::kDone;
  return "v=" + detail::base64_encode(*server_signature);
}

}  // namespace pgwire::scram
