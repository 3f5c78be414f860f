// SCRAM-SHA-256 (RFC 5802 + RFC 7677) as PostgreSQL speaks it, in both roles.
//
// PROTOCOL.md rule 12: pgveil cannot pass SCRAM through when it terminates TLS (channel binding
// hashes *its* certificate), so it is the SCRAM server to its clients (ServerExchange, against a
// stored Verifier) and a SCRAM client to the upstream (ClientExchange, with the real password).
// Rule 13: the password is SASLprep'ed and the iteration count always comes from the server.
//
// These classes only build and check the SASL payloads; framing them into
// AuthenticationSASLContinue / SASLResponse etc. is the codec's job. Nothing here logs, and no
// error string ever contains the password, a proof, a signature or a key.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pgwire::scram {

inline constexpr int kDefaultIterations = 4096;          // PostgreSQL's scram_iterations default
inline constexpr int kMaxIterations = 10'000'000;        // more is a CPU-exhaustion attempt
inline constexpr std::size_t kKeyLength = 32;            // SHA-256 output
inline constexpr std::size_t kDefaultSaltLength = 16;    // PostgreSQL SCRAM_DEFAULT_SALT_LEN
inline constexpr std::size_t kRawNonceLength = 18;       // PostgreSQL SCRAM_RAW_NONCE_LEN
inline constexpr std::size_t kMaxMessageLength = 65535;  // PostgreSQL PG_MAX_AUTH_TOKEN_LENGTH
inline constexpr std::string_view kMechanism = "SCRAM-SHA-256";
inline constexpr std::string_view kMechanismPlus = "SCRAM-SHA-256-PLUS";
inline constexpr std::string_view kChannelBindingType = "tls-server-end-point";

using Key = std::array<std::uint8_t, kKeyLength>;

// What PostgreSQL stores in pg_authid.rolpassword for a SCRAM role.
struct Verifier {
  int iterations = kDefaultIterations;
  std::string salt;  // raw bytes
  Key stored_key{}, server_key{};

  // "SCRAM-SHA-256$<iter>:<salt b64>$<StoredKey b64>:<ServerKey b64>"
  std::string to_string() const;
  static std::expected<Verifier, std::string> parse(std::string_view text);
  friend bool operator==(const Verifier&, const Verifier&) = default;
};

// SASLprep (RFC 4013) exactly as PostgreSQL's pg_saslprep(): pure ASCII is returned unchanged;
// otherwise map, NFKC-normalize, check prohibited/unassigned/bidi. When the input is not valid
// UTF-8 or is prohibited, the raw password is used, as both libpq and the backend do.
std::string saslprep(std::string_view password);

// A verifier with a random 16-byte salt. Throws std::runtime_error only if the CSPRNG or the
// KDF fails (a broken invariant), std::invalid_argument for iterations outside 1..kMaxIterations.
Verifier make_verifier(std::string_view password, int iterations = kDefaultIterations);
// Same with a given raw salt (test vectors, or re-deriving a verifier PostgreSQL made).
Verifier make_verifier_with_salt(std::string_view password, std::string_view salt,
                                 int iterations = kDefaultIterations);

// Channel binding data for tls-server-end-point (RFC 5929 section 4.1): the hash of the DER
// certificate with the hash of its signature algorithm, SHA-256 when that is MD5 or SHA-1. Fails
// for certificates whose signature has no separate digest (Ed25519/Ed448): do not offer -PLUS.
std::expected<std::string, std::string> tls_server_end_point(std::span<const std::uint8_t> cert_der);

// Test hook: replaces the random nonce part. Production code never uses it.
struct FixedNonce {
  std::string value;  // printable ASCII without ','
};

namespace detail {
// A string wiped (OPENSSL_cleanse) on destruction and when moved from. Best effort: it cannot
// reach copies the caller made before handing the secret over.
class SecretString {
 public:
  SecretString() = default;
  explicit SecretString(std::string value) noexcept : value_(std::move(value)) {}
  SecretString(SecretString&& other) noexcept;
  SecretString& operator=(SecretString&& other) noexcept;
  SecretString(const SecretString&) = delete;
  SecretString& operator=(const SecretString&) = delete;
  ~SecretString();

  std::string_view view() const noexcept { return value_; }
  void wipe() noexcept;

 private:
  std::string value_;
};
}  // namespace detail

// pgveil as SCRAM server to its clients.
class ServerExchange {
 public:
  // cbind_data: tls-server-end-point of OUR certificate when the client connected over TLS and we
  // advertised SCRAM-SHA-256-PLUS; empty when -PLUS was not offered.
  ServerExchange(Verifier verifier, std::string cbind_data = {});
  ServerExchange(Verifier verifier, std::string cbind_data, FixedNonce server_nonce);

  // mechanism: the one the client chose in SASLInitialResponse; data: its client-first-message.
  // Returns the server-first-message.
  std::expected<std::string, std::string> on_client_first(std::string_view mechanism,
                                                          std::string_view data);
  // data: the client-final-message. Returns the server-final-message ("v=...").
  std::expected<std::string, std::string> on_client_final(std::string_view data);

  // {"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"} or {"SCRAM-SHA-256"}, most preferred first.
  static std::vector<std::string> mechanisms(bool tls_with_cbind);

  bool done() const noexcept { return state_ == State::kDone; }
  bool channel_binding_used() const noexcept { return channel_binding_; }

 private:
  enum class State { kInitial, kFirstDone, kDone, kFailed };
  std::unexpected<std::string> fail(std::string message);

  Verifier verifier_;
  std::string cbind_data_;
  std::string fixed_nonce_;
  State state_ = State::kInitial;
  bool channel_binding_ = false;
  std::string gs2_header_;        // e.g. "n,," exactly as the client sent it
  std::string nonce_;             // client nonce + server nonce
  std::string client_first_bare_;
  std::string server_first_;
};

class SaltedPasswordCache;

// pgveil as SCRAM client to the upstream PostgreSQL.
class ClientExchange {
 public:
  // cbind_data: tls-server-end-point of the UPSTREAM server certificate when connected over TLS
  // (empty if plain, or if no binding can be computed for that certificate).
  // Throws std::runtime_error only if the CSPRNG fails (a broken invariant).
  ClientExchange(std::string password, std::string cbind_data = {});
  // Test hook: fixed client nonce and, for RFC test vectors, a user name (libpq sends "n=,"
  // because PostgreSQL takes the user from the startup packet).
  ClientExchange(std::string password, std::string cbind_data, FixedNonce client_nonce,
                 std::string_view user = {});

  // Picks from the server's list: "-PLUS" when cbind_data is non-empty and it is offered.
  std::expected<std::string, std::string> choose_mechanism(std::span<const std::string> offered);
  // client-first-message; gs2 header "p=tls-server-end-point,," when -PLUS was chosen, "y,," when
  // we have TLS but the server did not offer -PLUS, else "n,,". Calling it again returns the same.
  std::string client_first();
  // server-first-message -> client-final-message. Checks the nonce extends ours, the salt, and
  // the iteration count (1..kMaxIterations).
  std::expected<std::string, std::string> on_server_first(std::string_view data);
  // Verifies the server signature (constant time); "e=..." becomes an error.
  std::expected<void, std::string> on_server_final(std::string_view data);

  bool done() const noexcept { return state_ == State::kDone; }
  bool channel_binding_used() const noexcept { return plus_; }
  // Reuse SaltedPassword across logins (scram_cache.h); the cache must outlive the exchange.
  void use_cache(SaltedPasswordCache* cache) noexcept { cache_ = cache; }

 private:
  enum class State { kInitial, kFirstSent, kFinalSent, kDone, kFailed };
  std::unexpected<std::string> fail(std::string message);

  detail::SecretString password_;  // already SASLprep'ed
  std::string cbind_data_;
  std::string client_nonce_;
  std::string user_;               // SASLname-escaped
  State state_ = State::kInitial;
  bool plus_ = false;
  std::string gs2_header_;
  std::string client_first_bare_;
  Key server_signature_{};         // expected ServerSignature, known after on_server_first
  SaltedPasswordCache* cache_ = nullptr;
};

}  // namespace pgwire::scram
