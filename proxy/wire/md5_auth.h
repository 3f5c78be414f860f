// MD5 password authentication (AuthenticationMD5Password, PostgreSQL protocol docs section 55.2):
// the client answers "md5" + md5hex(md5hex(password + user) + salt). Deprecated by PostgreSQL
// but still what many upstreams are configured with; pgveil only ever *answers* it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace pgwire {

// The PasswordMessage payload (without its trailing NUL) for an MD5 challenge. `user` is the
// role name from the startup packet. Returns an empty string only if OpenSSL cannot compute MD5
// (e.g. a FIPS-only provider); the server then rejects the login, which fails closed.
std::string md5_password(std::string_view user, std::string_view password,
                         std::span<const std::uint8_t, 4> salt);

}  // namespace pgwire
