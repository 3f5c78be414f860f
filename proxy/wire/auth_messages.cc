#include "proxy/wire/auth_messages.h"

#include "proxy/wire/message_reader.h"
#include "proxy/wire/message_types.h"

namespace pgwire {

std::expected<Authentication, WireError> parse_authentication(Bytes body) {
  detail::MessageReader r(body, "Authentication");
  Authentication a{r.i32(), {}, {}};
  if (!r.ok()) return r.finish(std::move(a));
  switch (a.code) {
    case kAuthOk:
    case kAuthKerberosV5:
    case kAuthCleartext:
    case kAuthScmCredential:
    case kAuthGss:
    case kAuthSspi: break;  // no data: finish() rejects any
    case kAuthMd5:
      if (r.remaining() != 4) r.fail(fmt::format("MD5 salt of {} bytes (must be 4)", r.remaining()));
      a.data = r.rest();
      break;
    case kAuthGssContinue:
    case kAuthSaslContinue:
    case kAuthSaslFinal: a.data = r.rest(); break;
    case kAuthSasl: {
      a.data = r.rest();
      Reader list(a.data);
      while (true) {
        auto mechanism = list.cstr();
        if (!mechanism) {
          r.fail("SASL mechanism list without its terminating empty string");
          break;
        }
        if (mechanism->empty()) break;
        a.mechanisms.emplace_back(*mechanism);
      }
      if (r.ok() && !list.at_end()) r.fail("bytes after the SASL mechanism list");
      if (r.ok() && a.mechanisms.empty()) r.fail("empty SASL mechanism list");
      break;
    }
    default: r.fail(fmt::format("unknown authentication request code {}", a.code)); break;
  }
  return r.finish(std::move(a));
}

std::expected<SaslInitialResponse, WireError> parse_sasl_initial_response(Bytes body) {
  detail::MessageReader r(body, "SASLInitialResponse");
  SaslInitialResponse s;
  s.mechanism = r.cstr();
  s.data = r.value();
  return r.finish(s);
}

std::expected<std::string_view, WireError> parse_password_message(Bytes body) {
  detail::MessageReader r(body, "PasswordMessage");
  const std::string_view password = r.cstr();
  return r.finish(password);
}

void encode_authentication(std::string& out, std::int32_t code, Bytes data) {
  Writer w(out);
  const auto mark = w.begin(be::kAuthentication);
  w.i32(code);
  w.bytes(data);
  w.end(mark);
}

void encode_authentication_ok(std::string& out) { encode_authentication(out, kAuthOk); }
void encode_authentication_cleartext(std::string& out) { encode_authentication(out, kAuthCleartext); }

void encode_authentication_md5(std::string& out, std::array<std::uint8_t, 4> salt) {
  encode_authentication(out, kAuthMd5, salt);
}

void encode_authentication_sasl(std::string& out, std::span<const std::string> mechanisms) {
  Writer w(out);
  const auto mark = w.begin(be::kAuthentication);
  w.i32(kAuthSasl);
  for (const auto& m : mechanisms) w.cstr(m);
  w.u8(0);
  w.end(mark);
}

void encode_authentication_sasl_continue(std::string& out, std::string_view data) {
  encode_authentication(out, kAuthSaslContinue, as_bytes(data));
}

void encode_authentication_sasl_final(std::string& out, std::string_view data) {
  encode_authentication(out, kAuthSaslFinal, as_bytes(data));
}

void encode_password_message(std::string& out, std::string_view password) {
  Writer w(out);
  const auto mark = w.begin(fe::kPassword);
  w.cstr(password);
  w.end(mark);
}

void encode_sasl_initial_response(std::string& out, std::string_view mechanism, std::optional<Bytes> data) {
  Writer w(out);
  const auto mark = w.begin(fe::kPassword);
  w.cstr(mechanism);
  write_value(w, data);
  w.end(mark);
}

void encode_sasl_initial_response(std::string& out, std::string_view mechanism, std::string_view data) {
  encode_sasl_initial_response(out, mechanism, std::optional<Bytes>(as_bytes(data)));
}

void encode_sasl_response(std::string& out, std::string_view data) {
  Writer w(out);
  const auto mark = w.begin(fe::kPassword);
  w.bytes(data);
  w.end(mark);
}

}  // namespace pgwire
