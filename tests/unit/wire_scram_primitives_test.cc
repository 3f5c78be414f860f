// SCRAM building blocks: base64, stored verifiers, SASLprep, tls-server-end-point, MD5 auth.
#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <array>
#include <stdexcept>
#include <string>
#include <vector>

#include "proxy/wire/md5_auth.h"
#include "proxy/wire/scram.h"
#include "proxy/wire/scram_common.h"
#include "proxy/wire/scram_message.h"

using namespace pgwire::scram;
using namespace std::string_literals;

TEST_CASE("base64 follows RFC 4648 and decodes strictly", "[scram]") {
  // RFC 4648 section 10 test vectors.
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    CHECK(detail::base64_encode(plain) == encoded);
    CHECK(detail::base64_decode(encoded) == plain);
  }
  const std::string all_bytes = [] {
    std::string s;
    for (int i = 0; i < 256; ++i) s += static_cast<char>(i);
    return s;
  }();
  CHECK(detail::base64_decode(detail::base64_encode(all_bytes)) == all_bytes);
  for (const std::string& bad : {"Zg"s, "Zg="s, "Z==="s, "===="s, "Zm9v="s, "Zm=v"s, "Zm9 "s, "Zm9v\n"s, "Zm-_"s, "Z\0g="s}) {
    INFO(bad);
    CHECK_FALSE(detail::base64_decode(bad).has_value());
  }
}

TEST_CASE("Verifier round-trips PostgreSQL's stored format", "[scram]") {
  const std::string pg =
      "SCRAM-SHA-256$4096:++7J96JSK1RJAZrs2UH04A==$f1Lui7nyqUd7MF25fGYcJKEBwAe4UpzlccDVX50fo2Y=:"
      "+U6IyC3WD4/ikk7GMXWjI6vS83FdGpmwu5tpTefTugA=";
  auto v = Verifier::parse(pg);
  REQUIRE(v.has_value());
  CHECK(v->iterations == 4096);
  CHECK(v->salt.size() == 16);
  CHECK(v->to_string() == pg);
  CHECK(*v == make_verifier_with_salt("secret", v->salt, 4096));  // PostgreSQL 15 made it

  const Verifier fresh = make_verifier("pw", 1000);
  CHECK(fresh.iterations == 1000);
  CHECK(fresh.salt.size() == kDefaultSaltLength);
  CHECK(Verifier::parse(fresh.to_string()) == fresh);
  CHECK(make_verifier("pw").salt != fresh.salt);
  CHECK(make_verifier("pw").iterations == kDefaultIterations);
  CHECK(make_verifier_with_salt("pw", fresh.salt, 1000) == fresh);
  CHECK_THROWS_AS(make_verifier("pw", 0), std::invalid_argument);
  CHECK_THROWS_AS(make_verifier("pw", kMaxIterations + 1), std::invalid_argument);
  CHECK_THROWS_AS(make_verifier_with_salt("pw", "", 4096), std::invalid_argument);
}

TEST_CASE("Verifier::parse rejects malformed secrets without echoing keys", "[scram]") {
  const std::string key = "f1Lui7nyqUd7MF25fGYcJKEBwAe4UpzlccDVX50fo2Y=";
  const std::string short_key = detail::base64_encode(std::string(31, 'k'));
  const std::vector<std::string> bad = {
      "",
      "md52aea419619857e8a27f0f7aa641db0c6",
      "SCRAM-SHA-1$4096:c2FsdA==$" + key + ":" + key,
      "SCRAM-SHA-256$",
      "SCRAM-SHA-256$4096:c2FsdA==",
      "SCRAM-SHA-256$4096:c2FsdA==$" + key,
      "SCRAM-SHA-256$4096$c2FsdA==:" + key + ":" + key,
      "SCRAM-SHA-256$:c2FsdA==$" + key + ":" + key,
      "SCRAM-SHA-256$0:c2FsdA==$" + key + ":" + key,
      "SCRAM-SHA-256$-1:c2FsdA==$" + key + ":" + key,
      "SCRAM-SHA-256$4x:c2FsdA==$" + key + ":" + key,
      "SCRAM-SHA-256$4096:$" + key + ":" + key,
      "SCRAM-SHA-256$4096:c2Fsd!==$" + key + ":" + key,
      "SCRAM-SHA-256$4096:c2FsdA==$" + short_key + ":" + key,
      "SCRAM-SHA-256$4096:c2FsdA==$" + key + ":" + short_key,
      "SCRAM-SHA-256$4096:c2FsdA==$" + key + ":" + key + ":" + key,
      "SCRAM-SHA-256$4096:c2FsdA==$" + key + ":" + key + "$",
      "SCRAM-SHA-256$4096:c2FsdA==$" + key + ":",
  };
  for (const std::string& text : bad) {
    INFO(text);
    auto result = Verifier::parse(text);
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().find(key) == std::string::npos);
  }
}

TEST_CASE("saslprep matches PostgreSQL's pg_saslprep", "[scram][saslprep]") {
  // Expected values come from a model of src/common/saslprep.c (Python stringprep + NFKC,
  // Unicode 14.0.0), cross-checked against this implementation on every single code point and
  // 400k random strings; the last two cases are also confirmed by PostgreSQL 15's own verifiers.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"user", "user"},
      {"USER", "USER"},
      {"pa ss", "pa ss"},
      {"\x07", "\x07"},                                // ASCII is never checked (PG shortcut)
      {"I\u00ADX", "IX"},                              // RFC 4013 example: soft hyphen mapped out
      {"\u00AA", "a"},                                 // RFC 4013 example: NFKC
      {"\u2168", "IX"},                                // RFC 4013 example: NFKC
      {"x\u00A0y\u3000z", "x y z"},                    // non-ASCII spaces
      {"\u200B", " "},                                 // in both C.1.2 and B.1: PG maps to space
      {"a\u0308", "\u00E4"},                           // canonical composition
      {"a\u0307\u0323", "\u1EA1\u0307"},              // canonical reordering before composition
      {"a\u0323\u0307", "\u1EA1\u0307"},
      {"e\u0301\u0301", "\u00E9\u0301"},              // second accent is blocked
      {"\u1E9B\u0323", "\u1E69"},                      // UAX #15 example (compatibility)
      {"\u1100\u1161\u11A8", "\uAC01"},               // Hangul L+V+T composition
      {"\uAC00\u11A8", "\uAC01"},                      // Hangul LV+T
      {"\u0915\u093C", "\u0915\u093C"},               // composition exclusion (U+0958)
      {"\u00C5\u212B", "\u00C5\u00C5"},               // singleton decomposition
      {"\uFF21\uFF22", "AB"},                          // fullwidth
      {"\U0001D400", "A"},                             // mathematical bold
      {"\uFB01\u2126", "fi\u03A9"},
      {"\u0627\u0628", "\u0627\u0628"},               // RTL only: fine
      {"\u0627\u0031\u0628", "\u0627\u0031\u0628"},   // RTL at both ends, neutral inside: fine
      {"\u0627\u0031", "\u0627\u0031"},               // bidi violation: raw password
      {"\u0627a\u0628", "\u0627a\u0628"},             // RandALCat with LCat: raw password
      {"\u00E4\x01", "\u00E4\x01"},                   // prohibited control char: raw
      {"\uE000\u00E4", "\uE000\u00E4"},               // private use: raw
      {"\u0221\u00E4", "\u0221\u00E4"},               // unassigned in Unicode 3.2: raw
      {"\u00AD", "\u00AD"},                            // maps to nothing at all: raw
      {"\xC0\xAF", "\xC0\xAF"},                        // overlong: not UTF-8, raw
      {"\xED\xA0\x80", "\xED\xA0\x80"},               // surrogate: raw
      {"\xF4\x90\x80\x80", "\xF4\x90\x80\x80"},       // above U+10FFFF: raw
      {"abc\xFF", "abc\xFF"},
      {"\xE2\x82", "\xE2\x82"},                        // truncated sequence
      {"I\u2168\u00A0p\u00E4ss\uFB01\u00AD\u2126", "IIX p\u00E4ssfi\u03A9"},
      {"IIXpa\u0308ss", "IIXp\u00E4ss"},
  };
  for (const auto& [input, expected] : cases) {
    INFO(input);
    CHECK(saslprep(input) == expected);
  }
}

namespace {

using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

// A self-signed certificate signed with `md` (nullptr for Ed25519), or with RSA-PSS when pss.
std::vector<std::uint8_t> make_cert(EVP_PKEY* key, const EVP_MD* md, bool pss = false) {
  std::unique_ptr<X509, decltype(&X509_free)> x(X509_new(), &X509_free);
  REQUIRE(x);
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 7);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 3600);
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("pgveil"), -1, -1, 0);
  X509_set_issuer_name(x.get(), name);
  X509_set_pubkey(x.get(), key);
  if (pss) {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    EVP_PKEY_CTX* pctx = nullptr;
    REQUIRE(EVP_DigestSignInit(ctx.get(), &pctx, md, nullptr, key) == 1);
    REQUIRE(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1);
    REQUIRE(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1);
    REQUIRE(X509_sign_ctx(x.get(), ctx.get()) > 0);
  } else {
    REQUIRE(X509_sign(x.get(), key, md) > 0);
  }
  const int len = i2d_X509(x.get(), nullptr);
  REQUIRE(len > 0);
  std::vector<std::uint8_t> der(static_cast<std::size_t>(len));
  unsigned char* p = der.data();
  i2d_X509(x.get(), &p);
  return der;
}

std::string digest(const std::vector<std::uint8_t>& data, const EVP_MD* md) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  REQUIRE(EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) == 1);
  return std::string(reinterpret_cast<const char*>(out), len);
}

}  // namespace

TEST_CASE("tls_server_end_point hashes with the certificate's signature hash (RFC 5929)", "[scram]") {
  KeyPtr ec(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), &EVP_PKEY_free);
  REQUIRE(ec);
  const auto sha256_cert = make_cert(ec.get(), EVP_sha256());
  CHECK(tls_server_end_point(sha256_cert).value() == digest(sha256_cert, EVP_sha256()));
  const auto sha384_cert = make_cert(ec.get(), EVP_sha384());
  CHECK(tls_server_end_point(sha384_cert).value() == digest(sha384_cert, EVP_sha384()));
  CHECK(tls_server_end_point(sha384_cert)->size() == 48);
  const auto sha512_cert = make_cert(ec.get(), EVP_sha512());
  CHECK(tls_server_end_point(sha512_cert).value() == digest(sha512_cert, EVP_sha512()));
  // MD5 and SHA-1 are upgraded to SHA-256.
  const auto sha1_cert = make_cert(ec.get(), EVP_sha1());
  CHECK(tls_server_end_point(sha1_cert).value() == digest(sha1_cert, EVP_sha256()));

  KeyPtr rsa(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048)), &EVP_PKEY_free);
  REQUIRE(rsa);
  const auto pss_cert = make_cert(rsa.get(), EVP_sha384(), /*pss=*/true);
  CHECK(tls_server_end_point(pss_cert).value() == digest(pss_cert, EVP_sha384()));

  KeyPtr ed(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"), &EVP_PKEY_free);
  REQUIRE(ed);
  CHECK_THAT(tls_server_end_point(make_cert(ed.get(), nullptr)).error(), Catch::Contains("Ed25519"));

  CHECK_FALSE(tls_server_end_point({}).has_value());
  const std::vector<std::uint8_t> garbage = {0x30, 0x82, 0x01, 0x00, 0x01};
  CHECK_FALSE(tls_server_end_point(garbage).has_value());
  auto trailing = sha256_cert;
  trailing.push_back(0);
  CHECK_FALSE(tls_server_end_point(trailing).has_value());
  auto truncated = sha256_cert;
  truncated.pop_back();
  CHECK_FALSE(tls_server_end_point(truncated).has_value());
}

TEST_CASE("md5_password follows PostgreSQL's formula", "[md5]") {
  // pg_authid held "md52aea419619857e8a27f0f7aa641db0c6" for role md5user / 'secret' on
  // PostgreSQL 15; the salted answers were computed as "md5" + md5hex(that hex + salt).
  const std::array<std::uint8_t, 4> salt1 = {1, 2, 3, 4};
  CHECK(pgwire::md5_password("md5user", "secret", salt1) == "md56b614f1bd5dc8478f5705c783c9bbdc0");
  const std::array<std::uint8_t, 4> salt2 = {0xde, 0xad, 0xbe, 0xef};
  CHECK(pgwire::md5_password("postgres", "pw", salt2) == "md51e916ba2533bedd48ddd8aaa5cddcb8e");
  CHECK(pgwire::md5_password("postgres", "pw", salt1) != pgwire::md5_password("postgres", "pw", salt2));
  CHECK(pgwire::md5_password("postgres", "pw", salt1).size() == 35);
}

TEST_CASE("SCRAM attribute helpers", "[scram]") {
  auto attrs = detail::split_attributes("n=,r=abc,x=1=2");
  REQUIRE(attrs.has_value());
  REQUIRE(attrs->size() == 3);
  CHECK(((*attrs)[0].name == 'n' && (*attrs)[0].value.empty() && (*attrs)[0].offset == 0));
  CHECK(((*attrs)[1].name == 'r' && (*attrs)[1].value == "abc" && (*attrs)[1].offset == 3));
  CHECK(((*attrs)[2].name == 'x' && (*attrs)[2].value == "1=2"));
  for (std::string_view bad : {"", ",", "n=,", ",n=", "n", "=x", "1=x", "n=a,,r=b", "nn=a"}) {
    INFO(bad);
    CHECK_FALSE(detail::split_attributes(bad).has_value());
  }
  CHECK(detail::escape_saslname("a,b=c") == "a=2Cb=3Dc");
  CHECK(detail::is_valid_saslname("a=2Cb=3Dc"));
  CHECK(detail::is_valid_saslname(""));
  CHECK_FALSE(detail::is_valid_saslname("a=2"));
  CHECK_FALSE(detail::is_valid_saslname("a=41"));
  CHECK(detail::parse_iterations("4096").value() == 4096);
  CHECK(detail::parse_iterations("10000000").value() == kMaxIterations);
  for (std::string_view bad : {"", "0", "-1", "+1", " 1", "1 ", "10000001", "2147483648", "99999999999"}) {
    INFO(bad);
    CHECK_FALSE(detail::parse_iterations(bad).has_value());
  }
  CHECK(detail::printable("ab\x01\xFF" "cd", 5) == "ab??c...");
}
