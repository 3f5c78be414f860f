#include "proxy/wire/md5_auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <optional>

namespace pgwire {

namespace {
// Lower-case hex MD5, as PostgreSQL's pg_md5_hash() (src/common/md5_common.c).
std::optional<std::string> md5_hex(std::string_view data) {
  std::array<unsigned char, 16> digest{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &len, EVP_md5(), nullptr) != 1 ||
      len != digest.size()) {
    return std::nullopt;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(32, '0');
  for (std::size_t i = 0; i < digest.size(); ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 0x0F];
  }
  OPENSSL_cleanse(digest.data(), digest.size());
  return out;
}

void wipe(std::string& s) {
  OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}
}  // namespace

std::string md5_password(std::string_view user, std::string_view password,
                         std::span<const std::uint8_t, 4> salt) {
  // Inner hash: what pg_authid stores for an md5 role ("md5" + md5hex(password + user)). The
  // password is not SASLprep'ed here: PostgreSQL's md5 path hashes the raw bytes.
  std::string inner_input(password);
  inner_input += user;
  auto inner = md5_hex(inner_input);
  wipe(inner_input);
  if (!inner) return {};
  inner->append(reinterpret_cast<const char*>(salt.data()), salt.size());
  auto outer = md5_hex(*inner);
  wipe(*inner);
  if (!outer) return {};
  return "md5" + *outer;
}

}  // namespace pgwire
