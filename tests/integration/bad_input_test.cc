// Hostile and broken input on pgveil's port, from raw sockets (README "What a client sees"):
// each case reads what pgveil answers with a bounded timeout, checks the ErrorResponse where the
// README says one is sent, then that the connection is closed, and finally that pgveil still
// serves a real session. Also: failures of the upstream, cancel requests, SCRAM attacks and the
// startup negotiations libpq 15 cannot produce (GSSENC, 3.2 with _pq_ options).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/itf_env.h"
#include "support/itf_raw_client.h"
#include "support/net.h"
#include "support/pg_cluster.h"
#include "support/pgveil_process.h"
#include "support/pq.h"

using Catch::Matchers::Contains;
using namespace std::chrono_literals;
using itf::RawClient;
using testsupport::PgConn;
using testsupport::PgveilProcess;

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kWait = 3000ms;  // for an answer pgveil should send at once

// One pgveil for the whole file (each case leaves it as it found it and checks it still serves).
struct Fixture {
  std::unique_ptr<PgveilProcess> pgveil;
  std::string user = "mallory";
  std::string secret;
};

Fixture& fixture() {
  static Fixture f = [] {
    Fixture made;
    itf::ConfigParts parts;
    parts.limits = "  startup_timeout: 1s\n  max_message_size: 1KiB\n";
    made.pgveil = std::make_unique<PgveilProcess>(itf::config(parts), itf::pgveil_env());
    made.secret = itf::secret_of(itf::grant(*made.pgveil, made.user, "prod", "support", "4h"));
    return made;
  }();
  return f;
}

RawClient connect_raw() { return RawClient::connect(fixture().pgveil->port()); }

std::string startup_for(std::string_view user, std::string_view app = "itf_bad") {
  return itf::startup_packet({{"user", std::string(user)}, {"database", "prod"}, {"application_name", std::string(app)}});
}

// A logged-in raw session of the fixture's grant.
RawClient login_raw(std::string_view app = "itf_bad") {
  auto client = connect_raw();
  REQUIRE(client.send(startup_for(fixture().user, app)));
  const auto login = itf::scram_login(client, fixture().secret);
  INFO(login.describe());
  REQUIRE(login.ok);
  return client;
}

// The next message is a FATAL ErrorResponse with `sqlstate`; then the connection is closed.
void expect_fatal_then_close(RawClient& client, std::string_view sqlstate, std::string_view text) {
  auto m = client.read_message(kWait);
  INFO("reading the answer: " << (m ? std::string(1, m->type) : std::string(itf::to_string(m.error()))));
  REQUIRE(m.has_value());
  REQUIRE(m->type == 'E');
  const auto e = itf::error_of(*m);
  REQUIRE(e.has_value());
  INFO(e->message);
  CHECK(e->severity == "FATAL");
  CHECK(e->sqlstate == sqlstate);
  CHECK_THAT(e->message, Contains(std::string(text)));
  std::string extra;
  CHECK(client.wait_closed(kWait, &extra));
  CHECK(extra.empty());
}

// pgveil is alive and a real libpq session works.
void expect_still_serving() {
  auto& f = fixture();
  REQUIRE(f.pgveil->running());
  auto conn = PgConn::connect(f.pgveil->conninfo(f.user, "prod", f.secret), 10s);
  INFO((conn ? "" : conn.error().to_string()) << "\n" << f.pgveil->log());
  REQUIRE(conn.has_value());
  CHECK(conn->value("SELECT 6 * 7") == "42");
}

}  // namespace

TEST_CASE("bad input: malformed startup packets get 08P01 and a close", "[bad_input][itf]") {
  SECTION("length below 8") {
    auto c = connect_raw();
    REQUIRE(c.send(itf::raw_u32(4) + itf::raw_u32(196608)));
    expect_fatal_then_close(c, "08P01", "invalid length of startup packet");
  }
  SECTION("length above 10000") {
    auto c = connect_raw();
    REQUIRE(c.send(itf::raw_u32(10001) + itf::raw_u32(196608)));
    expect_fatal_then_close(c, "08P01", "invalid length of startup packet");
  }
  SECTION("unknown request code") {
    auto c = connect_raw();
    REQUIRE(c.send(itf::raw_u32(8) + itf::raw_u32((1234u << 16) | 9999u)));
    expect_fatal_then_close(c, "08P01", "1234.9999");
  }
  SECTION("startup packet without its terminator") {
    std::string packet = itf::startup_packet({{"user", "mallory"}, {"database", "prod"}});
    packet.back() = 'x';
    auto c = connect_raw();
    REQUIRE(c.send(packet));
    expect_fatal_then_close(c, "08P01", "invalid startup packet layout");
  }
  SECTION("garbage first packet") {
    auto c = connect_raw();
    REQUIRE(c.send("GET / HTTP/1.1\r\nHost: pgveil\r\n\r\n"));
    expect_fatal_then_close(c, "08P01", "does not speak the PostgreSQL protocol");
  }
  SECTION("TLS ClientHello while pgveil has no TLS configured") {
    auto c = connect_raw();
    REQUIRE(c.send(itf::tls_client_hello()));
    expect_fatal_then_close(c, "08P01", "TLS handshake");
  }
  expect_still_serving();
}

TEST_CASE("bad input: an unsupported major protocol version is refused as PostgreSQL does",
          "[bad_input][itf]") {
  // PostgreSQL's ProcessStartupPacket: ERRCODE_FEATURE_NOT_SUPPORTED (0A000) "unsupported
  // frontend protocol 2.0: server supports 3.0 to 3.0".
  auto c = connect_raw();
  REQUIRE(c.send(itf::startup_packet({{"user", "mallory"}, {"database", "prod"}}, 2, 0)));
  expect_fatal_then_close(c, "0A000", "unsupported frontend protocol 2.0");
  expect_still_serving();
}

TEST_CASE("bad input: an unfinished startup is closed after limits.startup_timeout",
          "[bad_input][itf]") {
  SECTION("half a startup packet, then silence") {
    auto c = connect_raw();
    const std::string packet = startup_for("mallory");
    const auto start = Clock::now();
    REQUIRE(c.send(std::string_view(packet).substr(0, packet.size() / 2)));
    std::string seen;
    CHECK(c.wait_closed(5s, &seen));
    const double took = itf::seconds_since(start);
    CHECK(seen.empty());
    CHECK(took >= 0.9);
    CHECK(took <= 2.5);
  }
  SECTION("nothing at all") {
    auto c = connect_raw();
    const auto start = Clock::now();
    CHECK(c.wait_closed(5s));
    const double took = itf::seconds_since(start);
    CHECK(took >= 0.9);
    CHECK(took <= 2.5);
  }
  SECTION("stalled in the middle of SCRAM") {
    auto c = connect_raw();
    REQUIRE(c.send(startup_for(fixture().user)));
    auto m = c.read_message(kWait);
    REQUIRE(m.has_value());
    CHECK(m->type == 'R');  // AuthenticationSASL, then we say nothing
    const auto start = Clock::now();
    CHECK(c.wait_closed(5s));
    CHECK(itf::seconds_since(start) <= 2.5);
  }
  CHECK_THAT(fixture().pgveil->log(), Contains("not finished within 1000 ms"));
  expect_still_serving();
}

TEST_CASE("bad input: malformed and oversized messages after login get 08P01", "[bad_input][itf]") {
  SECTION("length below 4") {
    auto c = login_raw("itf_bad_short");
    REQUIRE(c.send(std::string("Q") + itf::raw_u32(2)));
    expect_fatal_then_close(c, "08P01", "invalid frontend message");
    CHECK(itf::wait_backends("itf_bad_short", 0, 3s));
  }
  SECTION("a 4 KB Query with limits.max_message_size 1KiB") {
    auto c = login_raw("itf_bad_big");
    // A query just under the limit is fine (the limit counts the length word and the body).
    const std::string fits = "SELECT '" + std::string(900, 'a') + "'::text IS NOT NULL";
    const auto small = itf::simple_query(c, fits);
    INFO(small.failure);
    REQUIRE(small.ready);
    REQUIRE(small.rows.size() == 1);
    CHECK(small.rows[0][0] == "t");
    const std::string big = "SELECT '" + std::string(4096, 'a') + "'";
    REQUIRE(c.send(itf::query_message(big)));
    expect_fatal_then_close(c, "08P01", "invalid frontend message");
    CHECK(itf::wait_backends("itf_bad_big", 0, 3s));
  }
  expect_still_serving();
}

TEST_CASE("bad input: a client that vanishes mid-result leaves no backend behind", "[bad_input][itf]") {
  auto c = login_raw("itf_vanish");
  REQUIRE(c.send(itf::query_message("SELECT repeat('x', 1000) FROM generate_series(1, 2000000)")));
  // Wait until rows flow, so the query is really running upstream.
  int rows = 0;
  while (rows < 10) {
    auto m = c.read_message(kWait);
    REQUIRE(m.has_value());
    REQUIRE(m->type != 'E');
    if (m->type == 'D') ++rows;
  }
  REQUIRE(itf::backends_named("itf_vanish") == 1);
  c.close();  // no Terminate; unread data makes the kernel reset the connection
  CHECK(itf::wait_backends("itf_vanish", 0, 5s));
  expect_still_serving();
}

TEST_CASE("bad input: the upstream closes mid-session", "[bad_input][itf]") {
  auto& f = fixture();
  auto conn = PgConn::connect(f.pgveil->conninfo(f.user, "prod", f.secret) + " application_name=itf_killed", 10s);
  REQUIRE(conn.has_value());
  REQUIRE(PQsendQuery(conn->get(), "SELECT pg_sleep(30)") == 1);
  REQUIRE(itf::wait_backends("itf_killed", 1, 2s));
  CHECK(testsupport::PgCluster::shared().query_value(
            "SELECT bool_and(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'itf_killed'") ==
        "t");
  const auto outcome = itf::await_results(conn->get(), 5s);
  INFO(outcome.describe());
  REQUIRE(outcome.finished);
  CHECK_FALSE(outcome.ok);
  // The server's own FATAL (57P01, "terminating connection due to administrator command") is
  // relayed as is; pgveil adds nothing after a server FATAL.
  CHECK(outcome.sqlstate == "57P01");
  CHECK(itf::await_close(conn->get(), 3s));
  expect_still_serving();
}

TEST_CASE("bad input: upstream down or refusing answers 08006 quickly", "[bad_input][itf]") {
  SECTION("nothing listens on the upstream port") {
    itf::ConfigParts parts;
    const auto closed_port = testsupport::free_port();
    parts.prod_port = std::to_string(closed_port);
    PgveilProcess pgveil(itf::config(parts), itf::pgveil_env());
    const auto secret = itf::secret_of(itf::grant(pgveil, "ursula", "prod", "support"));
    const auto start = Clock::now();
    auto conn = PgConn::connect(pgveil.conninfo("ursula", "prod", secret), 10s);
    const double took = itf::seconds_since(start);
    REQUIRE_FALSE(conn.has_value());
    INFO(conn.error().to_string());
    CHECK(conn.error().severity == "FATAL");
    CHECK(conn.error().sqlstate == "08006");
    CHECK_THAT(conn.error().message, Contains("127.0.0.1:" + std::to_string(closed_port)));
    CHECK(took < 2.0);
  }
  SECTION("the upstream accepts TCP but never answers: connect_timeout bounds the wait") {
    // A listening socket nobody accepts from: the kernel completes the handshake, then silence.
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd, 16) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    const auto port = ntohs(addr.sin_port);
    itf::ConfigParts parts;
    parts.prod_port = std::to_string(port);
    auto yaml = testsupport::replace_all(itf::config(parts), "connect_timeout: 3s", "connect_timeout: 1s");
    PgveilProcess pgveil(yaml, itf::pgveil_env());
    const auto secret = itf::secret_of(itf::grant(pgveil, "ursula", "prod", "support"));
    const auto start = Clock::now();
    auto conn = PgConn::connect(pgveil.conninfo("ursula", "prod", secret), 10s);
    const double took = itf::seconds_since(start);
    ::close(fd);
    REQUIRE_FALSE(conn.has_value());
    INFO(conn.error().to_string());
    CHECK(conn.error().sqlstate == "08006");
    CHECK_THAT(conn.error().message, Contains("127.0.0.1:" + std::to_string(port)));
    CHECK(took >= 0.9);
    CHECK(took < 3.0);
  }
  SECTION("the upstream refuses the brokered login") {
    PgveilProcess pgveil(itf::config(), {"APP_PW=not-the-password"});
    const auto secret = itf::secret_of(itf::grant(pgveil, "ursula", "prod", "support"));
    auto conn = PgConn::connect(pgveil.conninfo("ursula", "prod", secret), 10s);
    REQUIRE_FALSE(conn.has_value());
    INFO(conn.error().to_string());
    CHECK(conn.error().sqlstate == "08006");
    CHECK_THAT(conn.error().message, Contains("127.0.0.1:"));
    // The brokered password never reaches the client.
    CHECK_THAT(conn.error().raw, !Contains("not-the-password"));
  }
}

TEST_CASE("bad input: CancelRequest with an unknown key is dropped silently", "[bad_input][itf]") {
  auto& f = fixture();
  auto session = connect_raw();
  REQUIRE(session.send(startup_for(f.user, "itf_cancel")));
  const auto login = itf::scram_login(session, f.secret);
  INFO(login.describe());
  REQUIRE(login.ok);
  REQUIRE(login.backend_key.size() == 4);
  CHECK(login.backend_pid > 0);  // PROTOCOL.md rule 9: positive pids

  REQUIRE(session.send(itf::query_message("SELECT pg_sleep(1.5), 'survived'")));
  std::string wrong_key = login.backend_key;
  wrong_key[0] = static_cast<char>(wrong_key[0] ^ 0x5a);
  for (const auto& [pid, key] : {std::pair{login.backend_pid, wrong_key},
                                 std::pair{login.backend_pid ^ 0x1234, login.backend_key}}) {
    auto cancel = connect_raw();
    REQUIRE(cancel.send(itf::cancel_request(pid, key)));
    std::string answer;
    CHECK(cancel.wait_closed(kWait, &answer));
    CHECK(answer.empty());
  }
  const auto survived = itf::read_query_result(session, 5s);
  INFO(survived.failure);
  REQUIRE(survived.ready);
  CHECK_FALSE(survived.error.has_value());
  REQUIRE(survived.rows.size() == 1);
  CHECK(survived.rows[0][1] == "survived");

  // Control: the right key does cancel (so the check above could have failed).
  REQUIRE(session.send(itf::query_message("SELECT pg_sleep(20)")));
  REQUIRE(itf::wait_backends("itf_cancel", 1, 2s));
  std::this_thread::sleep_for(200ms);
  {
    auto cancel = connect_raw();
    REQUIRE(cancel.send(itf::cancel_request(login.backend_pid, login.backend_key)));
    CHECK(cancel.wait_closed(kWait));
  }
  const auto cancelled = itf::read_error(session, 5s);
  REQUIRE(cancelled.has_value());
  CHECK(cancelled->sqlstate == "57014");
  expect_still_serving();
}

TEST_CASE("bad input: SCRAM attacks get 28P01", "[bad_input][itf]") {
  auto& f = fixture();
  SECTION("wrong proof") {
    auto c = connect_raw();
    REQUIRE(c.send(startup_for(f.user)));
    const auto login = itf::scram_login(c, f.secret + "-wrong");
    INFO(login.describe());
    REQUIRE(login.error.has_value());
    CHECK(login.error->severity == "FATAL");
    CHECK(login.error->sqlstate == "28P01");
    CHECK(login.error->message == "password authentication failed for user \"mallory\"");
    CHECK(c.wait_closed(kWait));
  }
  SECTION("a client-final replayed on a second connection") {
    auto first = connect_raw();
    REQUIRE(first.send(startup_for(f.user)));
    const auto recorded = itf::scram_login(first, f.secret);
    INFO(recorded.describe());
    REQUIRE(recorded.ok);
    REQUIRE_FALSE(recorded.client_final.empty());

    auto second = connect_raw();
    REQUIRE(second.send(startup_for(f.user)));
    const auto replay = itf::scram_login(second, "unknown to the attacker",
                                         itf::ScramScript{recorded.client_first, recorded.client_final});
    INFO(replay.describe());
    REQUIRE(replay.error.has_value());
    CHECK(replay.error->sqlstate == "28P01");
    CHECK(replay.error->message == "password authentication failed for user \"mallory\"");
    CHECK(second.wait_closed(kWait));
  }
  expect_still_serving();
}

namespace {

// Sends each encryption request, expects 'N' for each, then logs in and runs one query.
void expect_declined_then_served(const std::vector<std::string>& requests, const std::string& text) {
  auto& f = fixture();
  auto c = connect_raw();
  for (const auto& request : requests) {
    REQUIRE(c.send(request));
    auto answer = c.read_byte(kWait);
    REQUIRE(answer.has_value());
    CHECK(*answer == 'N');
  }
  REQUIRE(c.send(startup_for(f.user)));
  const auto login = itf::scram_login(c, f.secret);
  INFO(login.describe());
  REQUIRE(login.ok);
  const auto q = itf::simple_query(c, "SELECT '" + text + "'");
  REQUIRE(q.ready);
  REQUIRE(q.rows.size() == 1);
  CHECK(q.rows[0][0] == text);
}

}  // namespace

TEST_CASE("bad input: encryption requests without TLS are declined and startup goes on",
          "[bad_input][itf]") {
  SECTION("GSSENCRequest") { expect_declined_then_served({itf::gssenc_request()}, "after gssenc"); }
  SECTION("SSLRequest") { expect_declined_then_served({itf::ssl_request()}, "after ssl"); }
  SECTION("GSSENCRequest then SSLRequest then startup") {
    expect_declined_then_served({itf::gssenc_request(), itf::ssl_request()}, "after both");
  }
}

TEST_CASE("bad input: a protocol 3.2 startup with _pq_ options gets NegotiateProtocolVersion",
          "[bad_input][itf]") {
  auto& f = fixture();
  auto c = connect_raw();
  REQUIRE(c.send(itf::startup_packet(
      {{"user", f.user}, {"database", "prod"}, {"_pq_.itf_option", "on"}, {"application_name", "itf_32"}}, 3, 2)));
  const auto login = itf::scram_login(c, f.secret);
  INFO(login.describe());
  REQUIRE(login.ok);
  // PROTOCOL.md rule 8: newest version 3.0 (sent as 196608, as PostgreSQL does), then the
  // options not understood, before authentication starts.
  REQUIRE(login.before_auth.size() == 1);
  CHECK(login.before_auth[0].type == 'v');
  CHECK(login.before_auth[0].body == itf::raw_u32(196608) + itf::raw_u32(1) + std::string("_pq_.itf_option\0", 16));
  const auto q = itf::simple_query(c, "SELECT current_setting('application_name')");
  REQUIRE(q.ready);
  REQUIRE(q.rows.size() == 1);
  CHECK(q.rows[0][0] == "itf_32");

  // 3.2 without options: NegotiateProtocolVersion with an empty list.
  auto d = connect_raw();
  REQUIRE(d.send(itf::startup_packet({{"user", f.user}, {"database", "prod"}}, 3, 2)));
  const auto second = itf::scram_login(d, f.secret);
  INFO(second.describe());
  REQUIRE(second.ok);
  REQUIRE(second.before_auth.size() == 1);
  CHECK(second.before_auth[0].type == 'v');
  CHECK(second.before_auth[0].body == itf::raw_u32(196608) + itf::raw_u32(0));
}
