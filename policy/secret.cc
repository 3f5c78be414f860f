#include "policy/secret.h"

#include <openssl/err.h>
#include <openssl/rand.h>

#include <vector>
#include <stdexcept>

namespace policy {
namespace {

constexpr std::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url_no_pad(const unsigned char* data, std::size_t size) {
  std::string out;
  out.reserve((size * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    const unsigned v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out += kBase64Url[(v >> 18) & 63];
    out += kBase64Url[(v >> 12) & 63];
    out += kBase64Url[(v >> 6) & 63];
    out += kBase64Url[v & 63];
  }
  if (const std::size_t rest = size - i; rest > 0) {
    const unsigned v = (data[i] << 16) | (rest == 2 ? data[i + 1] << 8 : 0);
    out += kBase64Url[(v >> 18) & 63];
    out += kBase64Url[(v >> 12) & 63];
    if (rest == 2) out += kBase64Url[(v >> 6) & 63];
  }
  return out;
}

}  // namespace

std::expected<std::string, std::string> random_base64url(std::size_t size) {
  std::vector<unsigned char> bytes(size);
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return std::unexpected("cannot generate a secret: RAND_bytes failed (error " +
                           std::to_string(ERR_get_error()) + ")");
  }
  std::string out = base64url_no_pad(bytes.data(), bytes.size());
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return out;
}

std::expected<std::string, std::string> try_generate_secret() { return random_base64url(kSecretBytes); }

std::string generate_secret() {
  auto secret = try_generate_secret();
  if (!secret) throw std::runtime_error(secret.error());
  return std::move(*secret);
}

}  // namespace policy
