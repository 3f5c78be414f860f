#include "masking/keyed_hash.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace masking {

MaskKey::Digest MaskKey::digest(std::string_view purpose, std::string_view value,
                                std::uint32_t counter) const {
  // Input assembled in one buffer so the one-shot HMAC() applies; values are short (one column).
  std::string message;
  message.reserve(purpose.size() + value.size() + 5);
  message.append(purpose);
  message.push_back('\0');
  message.append(value);
  for (int shift = 24; shift >= 0; shift -= 8) message.push_back(static_cast<char>((counter >> shift) & 0xFF));
  Digest d{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), d.data(), &len);
  return d;
}

void MaskKey::stream(std::string_view purpose, std::string_view value, std::size_t n,
                     std::string& out) const {
  out.clear();
  for (std::uint32_t counter = 0; out.size() < n; ++counter) {
    const Digest d = digest(purpose, value, counter);
    out.append(reinterpret_cast<const char*>(d.data()), std::min(d.size(), n - out.size()));
  }
}

}  // namespace masking
