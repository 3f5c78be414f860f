#include "proxy/wire/scram_common.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <climits>

namespace pgwire::scram::detail {

std::optional<Key> hmac_sha256(std::span<const std::uint8_t> key, std::string_view data) {
  Key out{};
  unsigned int len = 0;
  if (key.size() > INT_MAX ||
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), bytes_of(data).data(),
           data.size(), out.data(), &len) == nullptr ||
      len != out.size()) {
    return std::nullopt;
  }
  return out;
}

std::optional<Key> sha256(std::span<const std::uint8_t> data) {
  Key out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 ||
      len != out.size()) {
    return std::nullopt;
  }
  return out;
}

std::optional<Key> salted_password(std::string_view prepared, std::string_view salt,
                                   int iterations) {
  Key out{};
  if (iterations < 1 || prepared.size() > INT_MAX || salt.size() > INT_MAX) return std::nullopt;
  // An empty password must still be a valid pointer: OpenSSL treats nullptr specially.
  static constexpr char kEmpty[] = "";
  const char* pass = prepared.empty() ? kEmpty : prepared.data();
  if (PKCS5_PBKDF2_HMAC(pass, static_cast<int>(prepared.size()), bytes_of(salt).data(),
                        static_cast<int>(salt.size()), iterations, EVP_sha256(),
                        static_cast<int>(out.size()), out.data()) != 1) {
    return std::nullopt;
  }
  return out;
}

KeySchedule::~KeySchedule() {
  cleanse(client_key.data(), client_key.size());
  cleanse(stored_key.data(), stored_key.size());
  cleanse(server_key.data(), server_key.size());
}

std::optional<KeySchedule> key_schedule(const Key& salted) {
  // RFC 5802 section 3: ClientKey := HMAC(SaltedPassword, "Client Key"), StoredKey := H(ClientKey),
  // ServerKey := HMAC(SaltedPassword, "Server Key").
  auto client_key = hmac_sha256(salted, "Client Key");
  auto server_key = hmac_sha256(salted, "Server Key");
  if (!client_key || !server_key) return std::nullopt;
  auto stored_key = sha256(*client_key);
  if (!stored_key) return std::nullopt;
  std::optional<KeySchedule> keys(std::in_place);
  keys->client_key = *client_key;
  keys->stored_key = *stored_key;
  keys->server_key = *server_key;
  cleanse(client_key->data(), client_key->size());
  cleanse(server_key->data(), server_key->size());
  return keys;
}

namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> make_reverse() {
  std::array<std::int8_t, 256> rev{};
  for (auto& v : rev) v = -1;
  for (int i = 0; i < 64; ++i) rev[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  return rev;
}
constexpr auto kReverse = make_reverse();
}  // namespace

std::string base64_encode(std::span<const std::uint8_t> data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) | data[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (const std::size_t rest = data.size() - i; rest > 0) {
    std::uint32_t v = std::uint32_t{data[i]} << 16;
    if (rest == 2) v |= std::uint32_t{data[i + 1]} << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t pad = 0;
  if (!text.empty() && text.back() == '=') pad = (text.size() >= 2 && text[text.size() - 2] == '=') ? 2 : 1;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  const std::size_t body = text.size() - pad;
  std::uint32_t acc = 0;
  for (std::size_t i = 0; i < body; ++i) {
    const std::int8_t v = kReverse[static_cast<unsigned char>(text[i])];
    if (v < 0) return std::nullopt;  // includes a '=' before the final padding
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    if (i % 4 == 3) {
      out += static_cast<char>((acc >> 16) & 0xFF);
      out += static_cast<char>((acc >> 8) & 0xFF);
      out += static_cast<char>(acc & 0xFF);
      acc = 0;
    }
  }
  // A padded final quantum holds 2 (one byte) or 3 (two bytes) characters.
  if (pad == 2) {
    out += static_cast<char>((acc >> 4) & 0xFF);
  } else if (pad == 1) {
    out += static_cast<char>((acc >> 10) & 0xFF);
    out += static_cast<char>((acc >> 2) & 0xFF);
  }
  return out;
}

bool constant_time_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  if (a.size() != b.size()) return false;
  return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::optional<std::string> random_nonce() {
  std::array<std::uint8_t, kRawNonceLength> raw{};
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) return std::nullopt;
  return base64_encode(raw);
}

void cleanse(void* data, std::size_t size) noexcept {
  if (size > 0) OPENSSL_cleanse(data, size);
}

SecretString::SecretString(SecretString&& other) noexcept : value_(std::move(other.value_)) {
  other.wipe();
}

SecretString& SecretString::operator=(SecretString&& other) noexcept {
  if (this != &other) {
    wipe();
    value_ = std::move(other.value_);
    other.wipe();
  }
  return *this;
}

SecretString::~SecretString() { wipe(); }

void SecretString::wipe() noexcept {
  // A moved-from short string keeps its characters in the inline buffer; growing to the full
  // capacity first lets us overwrite every byte we may have owned without touching past size().
  value_.resize(value_.capacity());
  cleanse(value_.data(), value_.size());
  value_.clear();
}

}  // namespace pgwire::scram::detail
