// OpenSSL's one-shot HMAC() looks the digest up by name and allocates contexts on every call,
// which cost ~40% of the row-masking time in bench/masking_bench. The key's padded blocks are
// absorbed once here instead (RFC 2104: H((K^opad) || H((K^ipad) || m))), and each digest copies
// two plain SHA256_CTX structs: no allocation, no lookup. SHA256_* are deprecated in OpenSSL 3
// but kept for exactly this use; there is no EVP equivalent without per-call allocation.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "masking/keyed_hash.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <cstring>

namespace masking {

struct MaskKey::State {
  SHA256_CTX inner, outer;
};

MaskKey::MaskKey(std::string_view key) {
  std::uint8_t block[SHA256_CBLOCK] = {};
  if (key.size() > SHA256_CBLOCK) {
    SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), block);
  } else {
    std::memcpy(block, key.data(), key.size());
  }
  auto state = std::make_shared<State>();
  std::uint8_t pad[SHA256_CBLOCK];
  for (std::size_t i = 0; i < SHA256_CBLOCK; ++i) pad[i] = block[i] ^ 0x36;
  SHA256_Init(&state->inner);
  SHA256_Update(&state->inner, pad, sizeof pad);
  for (std::size_t i = 0; i < SHA256_CBLOCK; ++i) pad[i] = block[i] ^ 0x5c;
  SHA256_Init(&state->outer);
  SHA256_Update(&state->outer, pad, sizeof pad);
  OPENSSL_cleanse(block, sizeof block);
  OPENSSL_cleanse(pad, sizeof pad);
  state_ = std::move(state);
}

MaskKey::Digest MaskKey::digest(std::string_view purpose, std::string_view value, std::uint32_t counter) const {
  static const State kNoKey = [] {
    State s;  // HMAC with an empty key: only reached by a profile that has no hash/tokenize masks
    std::uint8_t pad[SHA256_CBLOCK];
    std::memset(pad, 0x36, sizeof pad);
    SHA256_Init(&s.inner);
    SHA256_Update(&s.inner, pad, sizeof pad);
    std::memset(pad, 0x5c, sizeof pad);
    SHA256_Init(&s.outer);
    SHA256_Update(&s.outer, pad, sizeof pad);
    return s;
  }();
  const State& st = state_ ? *state_ : kNoKey;
  const std::uint8_t tail[5] = {0, static_cast<std::uint8_t>(counter >> 24), static_cast<std::uint8_t>(counter >> 16),
                                static_cast<std::uint8_t>(counter >> 8), static_cast<std::uint8_t>(counter)};
  SHA256_CTX ctx = st.inner;
  SHA256_Update(&ctx, purpose.data(), purpose.size());
  SHA256_Update(&ctx, tail, 1);
  SHA256_Update(&ctx, value.data(), value.size());
  SHA256_Update(&ctx, tail + 1, 4);
  Digest inner{};
  SHA256_Final(inner.data(), &ctx);
  ctx = st.outer;
  SHA256_Update(&ctx, inner.data(), inner.size());
  Digest d{};
  SHA256_Final(d.data(), &ctx);
  return d;
}

void MaskKey::stream(std::string_view purpose, std::string_view value, std::size_t n, std::string& out) const {
  out.clear();
  for (std::uint32_t counter = 0; out.size() < n; ++counter) {
    const Digest d = digest(purpose, value, counter);
    out.append(reinterpret_cast<const char*>(d.data()), std::min(d.size(), n - out.size()));
  }
}

}  // namespace masking
