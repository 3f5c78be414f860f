// The precomputed-state HMAC in keyed_hash.cc must equal OpenSSL's HMAC-SHA-256 exactly: the
// pseudonyms are part of what users join on, so they must never change between versions.
#include "masking/keyed_hash.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <catch2/catch.hpp>

using masking::MaskKey;

namespace {

MaskKey::Digest reference(std::string_view key, std::string_view purpose, std::string_view value, std::uint32_t counter) {
  std::string message(purpose);
  message.push_back('\0');
  message.append(value);
  for (int shift = 24; shift >= 0; shift -= 8) message.push_back(static_cast<char>((counter >> shift) & 0xFF));
  MaskKey::Digest d{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(message.data()),
       message.size(), d.data(), &len);
  return d;
}

}  // namespace

TEST_CASE("MaskKey::digest is HMAC-SHA-256 over purpose, value and counter", "[masking][hash]") {
  const std::string long_key(100, 'k');  // longer than a block: hashed first (RFC 2104)
  for (std::string_view key : {std::string_view("0123456789abcdef"), std::string_view(long_key)}) {
    const MaskKey k(key);
    for (std::string_view value : {"", "Alice", "a much longer value that spans more than one sha-256 block of input "
                                              "bytes, to exercise the streaming update path"}) {
      CHECK(k.digest("hash", value) == reference(key, "hash", value, 0));
      CHECK(k.digest("tokenize", value, 7) == reference(key, "tokenize", value, 7));
    }
  }
  std::string stream;
  MaskKey("0123456789abcdef").stream("hash", "x", 40, stream);
  REQUIRE(stream.size() == 40);
  const auto second = reference("0123456789abcdef", "hash", "x", 1);
  CHECK(std::string_view(stream).substr(32) == std::string_view(reinterpret_cast<const char*>(second.data()), 8));
}
