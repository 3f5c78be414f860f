// SCRAM-SHA-256 exchanges: RFC 7677 vector, client <-> server in every channel-binding mode, a
// verifier made by a real PostgreSQL 15, and the attacks the exchange exists to stop.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "proxy/wire/scram.h"
#include "proxy/wire/scram_cache.h"
#include "proxy/wire/scram_common.h"

using namespace pgwire::scram;
using namespace std::string_literals;

namespace {

std::string b64d(std::string_view s) { return detail::base64_decode(s).value(); }

// RFC 7677 section 3 (user "user", password "pencil").
constexpr std::string_view kRfcClientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view kRfcServerFirst =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
constexpr std::string_view kRfcClientFinal =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr std::string_view kRfcServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

Verifier rfc_verifier() { return make_verifier_with_salt("pencil", b64d("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096); }

// Verifiers produced by PostgreSQL 15.20 itself (SET password_encryption = 'scram-sha-256';
// CREATE ROLE x PASSWORD 'secret'; SELECT rolpassword FROM pg_authid). The second role's
// password, E'I\u2168\u00A0p\u00E4ss\uFB01\u00AD\u2126', exercises PostgreSQL's SASLprep.
constexpr std::string_view kPgSecret =
    "SCRAM-SHA-256$4096:++7J96JSK1RJAZrs2UH04A==$f1Lui7nyqUd7MF25fGYcJKEBwAe4UpzlccDVX50fo2Y=:"
    "+U6IyC3WD4/ikk7GMXWjI6vS83FdGpmwu5tpTefTugA=";
constexpr std::string_view kPgUnicode =
    "SCRAM-SHA-256$4096:Jeeiux6MgZoQRz9aotQ7sg==$Ei4hjZYFQnHDRaSbSH+gs1OPcO6XyDyXj3eg5AtdLEM=:"
    "/xpnOKvyaJzRevMp1hmLImIzXIfSZ4V/u9soFkaN2f8=";
constexpr std::string_view kPgUnicodePassword = "I\u2168\u00A0p\u00E4ss\uFB01\u00AD\u2126";

// A cheap verifier for tests that are not about the KDF.
Verifier fast_verifier(std::string_view password) { return make_verifier_with_salt(password, "0123456789abcdef", 16); }

struct Outcome {
  std::string mechanism;
  std::string client_error, server_error;
  bool client_done = false, server_done = false;
};

// Runs a whole exchange the way the proxy will: server offers, client chooses, messages flow.
Outcome run(ServerExchange& server, ClientExchange& client, std::vector<std::string> offered) {
  Outcome out;
  auto mech = client.choose_mechanism(offered);
  if (!mech) {
    out.client_error = mech.error();
    return out;
  }
  out.mechanism = *mech;
  auto server_first = server.on_client_first(*mech, client.client_first());
  if (!server_first) {
    out.server_error = server_first.error();
    return out;
  }
  auto client_final = client.on_server_first(*server_first);
  if (!client_final) {
    out.client_error = client_final.error();
    return out;
  }
  auto server_final = server.on_client_final(*client_final);
  if (!server_final) {
    out.server_error = server_final.error();
    return out;
  }
  auto ok = client.on_server_final(*server_final);
  if (!ok) {
    out.client_error = ok.error();
    return out;
  }
  out.client_done = client.done();
  out.server_done = server.done();
  return out;
}

// Drives a server through a client's first message and returns the client-final it answers.
std::string client_final_for(ServerExchange& server, ClientExchange& client) {
  auto first = server.on_client_first(kMechanism, client.client_first());
  REQUIRE(first.has_value());
  auto final_msg = client.on_server_first(*first);
  REQUIRE(final_msg.has_value());
  return *final_msg;
}

}  // namespace

TEST_CASE("SCRAM server reproduces the RFC 7677 exchange", "[scram]") {
  ServerExchange server(rfc_verifier(), "", FixedNonce{"%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"});
  auto first = server.on_client_first("SCRAM-SHA-256", kRfcClientFirst);
  REQUIRE(first.has_value());
  CHECK(*first == kRfcServerFirst);
  auto final_msg = server.on_client_final(kRfcClientFinal);
  REQUIRE(final_msg.has_value());
  CHECK(*final_msg == kRfcServerFinal);
  CHECK(server.done());
  CHECK_FALSE(server.channel_binding_used());
}

TEST_CASE("SCRAM client reproduces the RFC 7677 exchange", "[scram]") {
  ClientExchange client("pencil", "", FixedNonce{"rOprNGfwEbeRWgbNEkqO"}, "user");
  CHECK(client.client_first() == kRfcClientFirst);
  CHECK(client.client_first() == kRfcClientFirst);  // idempotent
  auto final_msg = client.on_server_first(kRfcServerFirst);
  REQUIRE(final_msg.has_value());
  CHECK(*final_msg == kRfcClientFinal);
  REQUIRE(client.on_server_final(kRfcServerFinal).has_value());
  CHECK(client.done());
}

TEST_CASE("SCRAM client and server agree in every channel binding mode", "[scram]") {
  const std::string cert_hash(32, '\x5a');
  SECTION("plain connection: SCRAM-SHA-256 with n,,") {
    ServerExchange server(fast_verifier("hunter2"));
    ClientExchange client("hunter2");
    auto out = run(server, client, ServerExchange::mechanisms(false));
    CHECK(out.client_error.empty());
    CHECK(out.server_error.empty());
    CHECK(out.mechanism == "SCRAM-SHA-256");
    CHECK(client.client_first().starts_with("n,,n=,r="));
    CHECK((out.client_done && out.server_done));
    CHECK_FALSE(server.channel_binding_used());
  }
  SECTION("TLS on both sides: SCRAM-SHA-256-PLUS with p=tls-server-end-point") {
    ServerExchange server(fast_verifier("hunter2"), cert_hash);
    ClientExchange client("hunter2", cert_hash);
    auto out = run(server, client, ServerExchange::mechanisms(true));
    CHECK(out.mechanism == "SCRAM-SHA-256-PLUS");
    CHECK(client.client_first().starts_with("p=tls-server-end-point,,n=,r="));
    CHECK((out.client_done && out.server_done));
    CHECK(server.channel_binding_used());
    CHECK(client.channel_binding_used());
  }
  SECTION("client has TLS, server offers no -PLUS: y,, is accepted") {
    ServerExchange server(fast_verifier("hunter2"));
    ClientExchange client("hunter2", cert_hash);
    auto out = run(server, client, ServerExchange::mechanisms(false));
    CHECK(out.mechanism == "SCRAM-SHA-256");
    CHECK(client.client_first().starts_with("y,,"));
    CHECK((out.client_done && out.server_done));
  }
  SECTION("server offers -PLUS, client cannot bind: n,, is accepted") {
    ServerExchange server(fast_verifier("hunter2"), cert_hash);
    ClientExchange client("hunter2");
    auto out = run(server, client, ServerExchange::mechanisms(true));
    CHECK(out.mechanism == "SCRAM-SHA-256");
    CHECK((out.client_done && out.server_done));
  }
  SECTION("non-ASCII password is SASLprep'ed identically on both sides") {
    ServerExchange server(fast_verifier("I\u2168p\u00E4ss"));
    ClientExchange client("IIXpa\u0308ss");  // another spelling of the same prepared password
    auto out = run(server, client, ServerExchange::mechanisms(false));
    CHECK((out.client_done && out.server_done));
  }
}

TEST_CASE("SCRAM accepts clients against verifiers made by PostgreSQL 15", "[scram]") {
  auto secret = Verifier::parse(kPgSecret);
  REQUIRE(secret.has_value());
  CHECK(*secret == make_verifier_with_salt("secret", secret->salt, 4096));
  {
    ServerExchange server(*secret);
    ClientExchange client("secret");
    auto out = run(server, client, ServerExchange::mechanisms(false));
    CHECK((out.client_done && out.server_done));
  }
  {
    ServerExchange server(*secret);
    ClientExchange client("Secret");
    CHECK_THAT(run(server, client, ServerExchange::mechanisms(false)).server_error,
               Catch::Contains("wrong password"));
  }
  auto unicode = Verifier::parse(kPgUnicode);
  REQUIRE(unicode.has_value());
  CHECK(*unicode == make_verifier_with_salt(kPgUnicodePassword, unicode->salt, 4096));
  ServerExchange server(*unicode);
  ClientExchange client{std::string(kPgUnicodePassword)};
  auto out = run(server, client, ServerExchange::mechanisms(false));
  CHECK((out.client_done && out.server_done));
}

TEST_CASE("SCRAM rejects a wrong password without revealing secrets", "[scram]") {
  ServerExchange server(fast_verifier("correct horse"));
  ClientExchange client("battery staple");
  const std::string client_final = client_final_for(server, client);
  auto result = server.on_client_final(client_final);
  REQUIRE_FALSE(result.has_value());
  CHECK_THAT(result.error(), Catch::Contains("wrong password"));
  const std::string proof = client_final.substr(client_final.rfind("p=") + 2);
  CHECK(result.error().find(proof) == std::string::npos);
  CHECK(result.error().find("battery") == std::string::npos);
  CHECK(result.error().find("horse") == std::string::npos);
  CHECK_FALSE(server.done());
  // A failed exchange stays failed: retrying the right message must not succeed.
  CHECK_FALSE(server.on_client_final(client_final).has_value());
}

TEST_CASE("SCRAM detects channel binding downgrade and mismatch", "[scram]") {
  const std::string our_cert(32, '\x11');
  SECTION("-PLUS stripped from the list: client says y,, and we did offer -PLUS") {
    ServerExchange server(fast_verifier("pw"), our_cert);
    ClientExchange client("pw", std::string(32, '\x22'));
    auto out = run(server, client, {"SCRAM-SHA-256"});
    CHECK_THAT(out.server_error, Catch::Contains("downgrade"));
  }
  SECTION("man in the middle with another certificate: hashes differ") {
    ServerExchange server(fast_verifier("pw"), our_cert);
    ClientExchange client("pw", std::string(32, '\x22'));
    auto out = run(server, client, ServerExchange::mechanisms(true));
    CHECK_THAT(out.server_error, Catch::Contains("channel binding check failed"));
  }
  SECTION("c= replaced by the header of an unbound exchange") {
    ServerExchange server(fast_verifier("pw"), our_cert);
    ClientExchange client("pw", our_cert);
    REQUIRE(client.choose_mechanism(ServerExchange::mechanisms(true)).value() == "SCRAM-SHA-256-PLUS");
    auto first = server.on_client_first("SCRAM-SHA-256-PLUS", client.client_first());
    REQUIRE(first.has_value());
    std::string final_msg = client.on_server_first(*first).value();
    final_msg.replace(2, final_msg.find(',') - 2, "biws");
    CHECK_THAT(server.on_client_final(final_msg).error(), Catch::Contains("channel binding"));
  }
  SECTION("n,, swapped for y,, in c= is caught even without -PLUS") {
    ServerExchange server(fast_verifier("pw"));
    ClientExchange client("pw");
    std::string final_msg = client_final_for(server, client);
    REQUIRE(final_msg.starts_with("c=biws,"));
    final_msg.replace(2, 4, "eSws");
    CHECK_THAT(server.on_client_final(final_msg).error(), Catch::Contains("channel binding"));
  }
}

TEST_CASE("SCRAM rejects tampered and replayed client-final messages", "[scram]") {
  const Verifier v = fast_verifier("pw");
  SECTION("tampered nonce") {
    ServerExchange server(v);
    ClientExchange client("pw");
    std::string final_msg = client_final_for(server, client);
    const std::size_t r = final_msg.find(",r=") + 3;
    final_msg[r] = final_msg[r] == 'A' ? 'B' : 'A';
    CHECK_THAT(server.on_client_final(final_msg).error(), Catch::Contains("nonce mismatch"));
  }
  SECTION("client-final replayed into another exchange with the same client nonce") {
    ServerExchange first_server(v), second_server(v);
    ClientExchange client("pw", "", FixedNonce{"samenonce"});
    ClientExchange client2("pw", "", FixedNonce{"samenonce"});
    const std::string recorded = client_final_for(first_server, client);
    REQUIRE(second_server.on_client_first(kMechanism, client2.client_first()).has_value());
    CHECK_THAT(second_server.on_client_final(recorded).error(), Catch::Contains("nonce mismatch"));
    CHECK(first_server.on_client_final(recorded).has_value());
  }
  SECTION("tampered proof") {
    ServerExchange server(v);
    ClientExchange client("pw");
    std::string final_msg = client_final_for(server, client);
    const std::size_t p = final_msg.find(",p=") + 3;
    final_msg[p] = final_msg[p] == 'A' ? 'B' : 'A';
    CHECK_THAT(server.on_client_final(final_msg).error(), Catch::Contains("wrong password"));
  }
}

TEST_CASE("SCRAM client verifies the server", "[scram]") {
  ServerExchange server(fast_verifier("pw"));
  SECTION("forged server signature") {
    ClientExchange client("pw");
    const std::string final_msg = client_final_for(server, client);
    REQUIRE(server.on_client_final(final_msg).has_value());
    auto result = client.on_server_final("v=" + detail::base64_encode(std::string(32, 'x')));
    CHECK_THAT(result.error(), Catch::Contains("server signature"));
    CHECK_FALSE(client.done());
  }
  SECTION("signature of another exchange is not accepted") {
    ClientExchange client("pw");
    client_final_for(server, client);
    CHECK_FALSE(client.on_server_final(kRfcServerFinal).has_value());
  }
  SECTION("server error e=") {
    ClientExchange client("pw");
    client_final_for(server, client);
    CHECK_THAT(client.on_server_final("e=invalid-proof").error(), Catch::Contains("invalid-proof"));
  }
  SECTION("malformed server-final") {
    for (std::string_view bad : {"", "v=", "v=abc", "x=1", "v=" "AAAA", "v=AAAA,", "e"}) {
      ClientExchange client("pw");
      ServerExchange fresh(fast_verifier("pw"));
      client_final_for(fresh, client);
      INFO(bad);
      CHECK_FALSE(client.on_server_final(bad).has_value());
    }
  }
}

TEST_CASE("SCRAM client validates the server-first-message", "[scram]") {
  const std::vector<std::string> bad = {
      "",                                  // empty
      "r=abc",                             // nonce does not extend ours
      "r=clientnonce,s=c2FsdA==,i=4096",   // server added nothing
      "r=clientnonceXY,s=c2FsdA==",        // no iteration count
      "r=clientnonceXY,s=,i=4096",         // empty salt
      "r=clientnonceXY,s=!!!!,i=4096",     // salt not base64
      "r=clientnonceXY,s=c2FsdA==,i=0",    // zero iterations
      "r=clientnonceXY,s=c2FsdA==,i=-1",   // negative
      "r=clientnonceXY,s=c2FsdA==,i=1e3",  // not decimal
      "r=clientnonceXY,s=c2FsdA==,i=10000001",       // above kMaxIterations
      "r=clientnonceXY,s=c2FsdA==,i=99999999999999",  // overflow
      "m=ext,r=clientnonceXY,s=c2FsdA==,i=4096",      // mandatory extension
      "s=c2FsdA==,r=clientnonceXY,i=4096",            // wrong order
      "r=clientnonce X,s=c2FsdA==,i=4096",            // space in nonce
      "r=clientnonceXY,s=c2FsdA==,i=4096,",           // trailing comma
      std::string("r=clientnonceXY,s=c2FsdA==,i=4096\0", 34),
  };
  for (const std::string& msg : bad) {
    ClientExchange client("pw", "", FixedNonce{"clientnonce"});
    client.client_first();
    INFO(msg);
    CHECK_FALSE(client.on_server_first(msg).has_value());
  }
  ClientExchange client("pw", "", FixedNonce{"clientnonce"});
  client.client_first();
  CHECK(client.on_server_first("r=clientnonceXY,s=c2FsdA==,i=1,x=extension").has_value());
}

TEST_CASE("SCRAM server rejects bad mechanisms and GS2 headers", "[scram]") {
  const std::string cert(32, '\x33');
  struct Case {
    std::string cbind, mechanism, message, error;
  };
  const std::vector<Case> cases = {
      {"", "SCRAM-SHA-1", "n,,n=,r=abc", "unsupported SASL mechanism"},
      {"", "PLAIN", "n,,n=,r=abc", "unsupported SASL mechanism"},
      {"", "", "n,,n=,r=abc", "unsupported SASL mechanism"},
      {"", "SCRAM-SHA-256-PLUS", "p=tls-server-end-point,,n=,r=abc", "not offered"},
      {cert, "SCRAM-SHA-256", "p=tls-server-end-point,,n=,r=abc", "without channel binding"},
      {cert, "SCRAM-SHA-256-PLUS", "n,,n=,r=abc", "no channel binding data"},
      {cert, "SCRAM-SHA-256-PLUS", "y,,n=,r=abc", "no channel binding data"},
      {cert, "SCRAM-SHA-256-PLUS", "p=tls-unique,,n=,r=abc", "unsupported SCRAM channel binding type"},
      {cert, "SCRAM-SHA-256-PLUS", "p=,,n=,r=abc", "unsupported SCRAM channel binding type"},
      {"", "SCRAM-SHA-256", "n,a=admin,n=,r=abc", "authorization identity"},
      {"", "SCRAM-SHA-256", "n,,m=ext,n=,r=abc", "extension"},
      {"", "SCRAM-SHA-256", "", "GS2 header"},
      {"", "SCRAM-SHA-256", "n", "GS2 header"},
      {"", "SCRAM-SHA-256", "n,", "GS2 header"},
      {"", "SCRAM-SHA-256", "n,x,n=,r=abc", "GS2 header"},
      {"", "SCRAM-SHA-256", "x,,n=,r=abc", "channel binding flag"},
      {"", "SCRAM-SHA-256", "yy,,n=,r=abc", "channel binding flag"},
      {"", "SCRAM-SHA-256", "n,,", "empty"},
      {"", "SCRAM-SHA-256", "n,,r=abc", "expected n=<user>,r=<nonce>"},
      {"", "SCRAM-SHA-256", "n,,n=", "expected n=<user>,r=<nonce>"},
      {"", "SCRAM-SHA-256", "n,,n=,", "attribute=value"},
      {"", "SCRAM-SHA-256", "n,,n=,r=", "invalid nonce"},
      {"", "SCRAM-SHA-256", "n,,n=,r=abc,", "attribute=value"},
      {"", "SCRAM-SHA-256", "n,,n=,r=abc,ext", "attribute=value"},
      {"", "SCRAM-SHA-256", "n,,n=,r=abc,1=x", "attribute=value"},
      {"", "SCRAM-SHA-256", "n,,n=a=b,r=abc", "user name"},
      {"", "SCRAM-SHA-256", "n,,n=,r=ab c", "invalid nonce"},
      {"", "SCRAM-SHA-256", "n,,n=,r=ab\x01", "invalid nonce"},
      {"", "SCRAM-SHA-256", "n,,n=,r=ab\xC3\xA4", "invalid nonce"},
      {"", "SCRAM-SHA-256", std::string("n,,n=,r=ab\0c", 12), "NUL"},
      {"", "SCRAM-SHA-256", "n,,n=,r=" + std::string(70000, 'a'), "too long"},
  };
  for (const Case& c : cases) {
    ServerExchange server(fast_verifier("pw"), c.cbind);
    INFO(c.mechanism << " / " << c.message.substr(0, 60));
    auto result = server.on_client_first(c.mechanism, c.message);
    REQUIRE_FALSE(result.has_value());
    CHECK_THAT(result.error(), Catch::Contains(c.error));
    CHECK_FALSE(server.on_client_final("c=biws,r=abc,p=AAAA").has_value());
  }
  // Accepted: an escaped user name and optional extensions are ignored.
  ServerExchange server(fast_verifier("pw"));
  CHECK(server.on_client_first("SCRAM-SHA-256", "n,,n=a=2Cb=3D,r=abc,x=1,y=2").has_value());
}

TEST_CASE("SCRAM server rejects malformed client-final messages", "[scram]") {
  const std::vector<std::string> bad = {
      "",
      "c=biws",
      "c=biws,r=NONCE",
      "r=NONCE,c=biws,p=PROOF",
      "c=biws,p=PROOF,r=NONCE",
      "c=biws,r=NONCE,p=PROOF,x=1",
      "c=biws,r=NONCE,p=PROOF,p=PROOF",
      "c=biws,r=NONCE,p=PROOF,",
      "c=biws,r=NONCE,p=!!!!",
      "c=biws,r=NONCE,p=AAAA",
      "c=biws,r=NONCE,p=",
      "c=@@@@,r=NONCE,p=PROOF",
      "c=biw,r=NONCE,p=PROOF",
      "c=,r=NONCE,p=PROOF",
      "c=biws,r=,p=PROOF",
      "c=biws,,r=NONCE,p=PROOF",
      "c=biws,r=NONCE,p=PROOF\0"s,
      "c=biws,r=NONCE\0,p=PROOF"s,
  };
  for (std::string msg : bad) {
    ServerExchange server(fast_verifier("pw"));
    ClientExchange client("pw");
    const std::string good = client_final_for(server, client);
    const std::string nonce = good.substr(good.find(",r=") + 3, good.find(",p=") - good.find(",r=") - 3);
    const std::string proof = good.substr(good.find(",p=") + 3);
    for (auto [token, value] : {std::pair{"NONCE", nonce}, std::pair{"PROOF", proof}}) {
      for (std::size_t at; (at = msg.find(token)) != std::string::npos;) msg.replace(at, std::strlen(token), value);
    }
    INFO(msg);
    CHECK_FALSE(server.on_client_final(msg).has_value());
    CHECK_FALSE(server.done());
  }
  // Control: the same substitution on the well-formed template succeeds.
  ServerExchange server(fast_verifier("pw"));
  ClientExchange client("pw");
  const std::string good = client_final_for(server, client);
  CHECK(server.on_client_final(good).has_value());
}

TEST_CASE("SCRAM server accepts extensions before the proof, covered by AuthMessage", "[scram]") {
  const Verifier v = fast_verifier("pw");
  ServerExchange server(v, "", FixedNonce{"S"});
  const std::string bare = "n=,r=C";
  const std::string server_first = server.on_client_first(kMechanism, "n,," + bare).value();
  REQUIRE(server_first == "r=CS,s=" + detail::base64_encode(v.salt) + ",i=16");
  const std::string without_proof = "c=biws,r=CS,x=ext";
  const std::string auth_message = bare + "," + server_first + "," + without_proof;
  const Key salted = detail::salted_password("pw", v.salt, 16).value();
  const auto keys = detail::key_schedule(salted).value();
  const Key signature = detail::hmac_sha256(keys.stored_key, auth_message).value();
  Key proof{};
  for (std::size_t i = 0; i < proof.size(); ++i) proof[i] = keys.client_key[i] ^ signature[i];
  const std::string proof_b64 = detail::base64_encode(proof);

  ServerExchange other(v, "", FixedNonce{"S"});
  REQUIRE(other.on_client_first(kMechanism, "n,," + bare).has_value());
  // The same proof without the extension no longer matches AuthMessage.
  CHECK_THAT(other.on_client_final("c=biws,r=CS,p=" + proof_b64).error(), Catch::Contains("wrong password"));
  auto result = server.on_client_final(without_proof + ",p=" + proof_b64);
  REQUIRE(result.has_value());
  CHECK(*result == "v=" + detail::base64_encode(detail::hmac_sha256(keys.server_key, auth_message).value()));
}

TEST_CASE("SCRAM exchanges enforce message order", "[scram]") {
  ServerExchange server(fast_verifier("pw"));
  CHECK_THAT(server.on_client_final("c=biws,r=abc,p=AAAA").error(), Catch::Contains("out of order"));
  ServerExchange twice(fast_verifier("pw"));
  REQUIRE(twice.on_client_first(kMechanism, "n,,n=,r=abc").has_value());
  CHECK_THAT(twice.on_client_first(kMechanism, "n,,n=,r=abc").error(), Catch::Contains("out of order"));

  ClientExchange client("pw");
  CHECK_THAT(client.on_server_first("r=x,s=c2FsdA==,i=1").error(), Catch::Contains("out of order"));
  ClientExchange early("pw");
  early.client_first();
  CHECK_FALSE(early.choose_mechanism(ServerExchange::mechanisms(false)).has_value());
  ClientExchange final_first("pw");
  final_first.client_first();
  CHECK_THAT(final_first.on_server_final("v=AAAA").error(), Catch::Contains("out of order"));
}

TEST_CASE("SCRAM client chooses the mechanism", "[scram]") {
  const std::string cert(32, '\x44');
  using V = std::vector<std::string>;
  CHECK(ClientExchange("pw", cert).choose_mechanism(V{"SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"}).value() ==
        "SCRAM-SHA-256-PLUS");
  CHECK(ClientExchange("pw").choose_mechanism(V{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"}).value() == "SCRAM-SHA-256");
  CHECK(ClientExchange("pw", cert).choose_mechanism(V{"SCRAM-SHA-256"}).value() == "SCRAM-SHA-256");
  CHECK_THAT(ClientExchange("pw").choose_mechanism(V{"SCRAM-SHA-256-PLUS"}).error(),
             Catch::Contains("channel binding"));
  CHECK_THAT(ClientExchange("pw").choose_mechanism(V{"SCRAM-SHA-1", "OAUTHBEARER"}).error(),
             Catch::Contains("no supported"));
  CHECK_FALSE(ClientExchange("pw").choose_mechanism(V{}).has_value());
  CHECK(ServerExchange::mechanisms(true) == V{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"});
  CHECK(ServerExchange::mechanisms(false) == V{"SCRAM-SHA-256"});
}

TEST_CASE("SCRAM nonces are fresh per exchange", "[scram]") {
  ClientExchange a("pw"), b("pw");
  CHECK(a.client_first() != b.client_first());
  ServerExchange s1(fast_verifier("pw")), s2(fast_verifier("pw"));
  CHECK(s1.on_client_first(kMechanism, "n,,n=,r=abc").value() != s2.on_client_first(kMechanism, "n,,n=,r=abc").value());
  // 18 random bytes in base64, like libpq and the backend.
  CHECK(a.client_first().size() == std::string_view("n,,n=,r=").size() + 24);
}

TEST_CASE("SCRAM client reuses SaltedPassword from the cache, and only for the same inputs", "[scram]") {
  SaltedPasswordCache cache(2);
  for (int round = 0; round < 3; ++round) {
    ServerExchange server(fast_verifier("hunter2"));
    ClientExchange client("hunter2");
    client.use_cache(&cache);
    auto out = run(server, client, ServerExchange::mechanisms(false));
    INFO("round " << round);
    CHECK((out.client_done && out.server_done));
    CHECK(cache.size() == 1);
  }
  // A wrong cached value would make the proof fail: poison an entry and see the server refuse.
  const auto verifier = fast_verifier("other");
  Key wrong{};
  cache.store("other", verifier.salt, verifier.iterations, wrong);
  ServerExchange server(verifier);
  ClientExchange client("other");
  client.use_cache(&cache);
  auto out = run(server, client, ServerExchange::mechanisms(false));
  CHECK_FALSE(out.server_done);
  // Another password with the same salt misses; capacity 2 drops the oldest entry.
  CHECK(cache.find("hunter3", verifier.salt, verifier.iterations) == std::nullopt);
  CHECK(cache.find("other", verifier.salt, verifier.iterations + 1) == std::nullopt);
  cache.store("third", "salt", 4096, wrong);
  CHECK(cache.size() == 2);
}
