// Internal building blocks of the SCRAM exchanges (RFC 5802 section 3): the key schedule,
// base64, nonces. Not part of the public API; include scram.h instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "proxy/wire/scram.h"

namespace pgwire::scram::detail {

inline std::span<const std::uint8_t> bytes_of(std::string_view s) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string_view chars_of(std::span<const std::uint8_t> b) noexcept {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// nullopt only when OpenSSL fails (allocation); callers turn that into an error value.
std::optional<Key> hmac_sha256(std::span<const std::uint8_t> key, std::string_view data);
std::optional<Key> sha256(std::span<const std::uint8_t> data);
// SaltedPassword := Hi(Normalize(password), salt, i), i.e. PBKDF2-HMAC-SHA-256. `prepared` is
// already SASLprep'ed.
std::optional<Key> salted_password(std::string_view prepared, std::string_view salt, int iterations);

// ClientKey, StoredKey := H(ClientKey), ServerKey, from a SaltedPassword.
struct KeySchedule {
  Key client_key{}, stored_key{}, server_key{};
  ~KeySchedule();  // wipes
};
std::optional<KeySchedule> key_schedule(const Key& salted);

// Standard base64 (RFC 4648 section 4) with padding, as RFC 5802 requires.
std::string base64_encode(std::span<const std::uint8_t> data);
inline std::string base64_encode(std::string_view data) { return base64_encode(bytes_of(data)); }
// Strict: only the alphabet, length a multiple of 4, '=' only as final padding.
std::optional<std::string> base64_decode(std::string_view text);

// CRYPTO_memcmp on equal lengths; different lengths compare unequal (lengths are public).
bool constant_time_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

// A fresh nonce: base64 of kRawNonceLength random bytes, as libpq and the backend make it.
std::optional<std::string> random_nonce();

void cleanse(void* data, std::size_t size) noexcept;

}  // namespace pgwire::scram::detail
