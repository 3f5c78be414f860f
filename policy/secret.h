// Grant secrets: what an engineer types as the password when connecting through pgveil.
#pragma once

#include <cstddef>
#include <expected>
#include <string>

namespace policy {

// Bytes of randomness in a secret: 192 bits (>= 128 required), which base64url-encodes to
// exactly 32 characters with no padding.
inline constexpr std::size_t kSecretBytes = 24;

// A fresh secret from OpenSSL's CSPRNG (RAND_bytes), URL-safe base64 without padding (RFC 4648
// section 5), so it can be pasted into a libpq connection string or URI unquoted. Fails only if
// the CSPRNG cannot be seeded.
std::expected<std::string, std::string> try_generate_secret();

// As try_generate_secret, but a CSPRNG failure is a broken invariant of the host and throws
// std::runtime_error (STYLE.md: exceptions only for broken invariants).
std::string generate_secret();

// `bytes` bytes from the CSPRNG, URL-safe base64 without padding (secrets and API tokens).
std::expected<std::string, std::string> random_base64url(std::size_t bytes);

}  // namespace policy
