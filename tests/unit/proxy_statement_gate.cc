// StatementGate + RequestRefusals: frames in, frames out. A refused request becomes one the
// server fails while parsing; the server's error for it becomes the refusal.
#include <catch2/catch.hpp>

#include "proxy/config/config.h"
#include "proxy/statement_gate.h"
#include "proxy/wire/error.h"
#include "proxy/wire/frontend_messages.h"

namespace {

std::shared_ptr<const proxy::Config> config_with(std::string_view role_lines) {
  const std::string yaml = std::string("databases:\n  prod:\n    logins:\n      ro: { user: reader }\n"
                                       "roles:\n  support:\n    databases: [prod]\n    login: ro\n") +
                           std::string(role_lines);
  auto config = proxy::parse_config(yaml, "pgveil.yaml", [](const std::string&) { return std::nullopt; });
  REQUIRE(config);
  return *config;
}

std::string body_of(const std::string& frame) { return frame.substr(5); }

// The SQL of the one Query frame in `frames`.
std::string query_sql(const std::string& frames) {
  REQUIRE(frames.size() > 5);
  REQUIRE(frames[0] == 'Q');
  const std::string body = body_of(frames);   // parse_query returns a view into it
  auto query = pgwire::parse_query(pgwire::as_bytes(body));
  REQUIRE(query);
  return std::string(query->sql);
}

// What PostgreSQL answers to a statement that is one unknown word.
pgwire::ErrorFields server_syntax_error(const std::string& word) {
  auto error = pgwire::make_error("ERROR", "42601", "syntax error at or near \"" + word + "\"");
  error.other.emplace_back(pgwire::field::kPosition, "1");
  return error;
}

pgwire::ErrorFields client_error(const std::string& frames) {
  REQUIRE(frames.size() > 5);
  REQUIRE(frames[0] == 'E');
  const std::string body = body_of(frames);
  auto fields = pgwire::parse_error_fields(pgwire::as_bytes(body));
  REQUIRE(fields);
  return *fields;
}

struct Fixture {
  std::shared_ptr<const proxy::Config> config;
  proxy::StatementGate gate;
  explicit Fixture(std::string_view role_lines)
      : config(config_with(role_lines)),
        gate("support", "prod", [this]() -> const std::shared_ptr<const proxy::Config>& { return config; }) {}

  std::string send(char type, const std::string& body) {
    std::string out;
    return gate.refuse(type, pgwire::as_bytes(body), true, out) ? out : std::string("forwarded");
  }
};

std::string query_body(std::string_view sql) {
  std::string frame;
  pgwire::encode_query(frame, sql);
  return body_of(frame);
}

}  // namespace

TEST_CASE("statement gate: a role without rules forwards everything and never asks for whole messages", "[proxy][statements]") {
  Fixture f("    statements: all\n");
  CHECK_FALSE(f.gate.needs_whole('Q'));
  CHECK(f.send('Q', query_body("DROP TABLE orders")) == "forwarded");
  CHECK(f.send('Q', query_body("SELEC garbage")) == "forwarded");
  CHECK(f.send('F', std::string(10, '\0')) == "forwarded");
}

TEST_CASE("statement gate: a refused Query is replaced, and the server's error for it becomes the refusal", "[proxy][statements]") {
  Fixture f("    statements: read-only\n");
  CHECK(f.gate.needs_whole('Q'));
  CHECK(f.gate.needs_whole('P'));
  CHECK_FALSE(f.gate.needs_whole('B'));
  CHECK(f.send('Q', query_body("SELECT 1")) == "forwarded");

  const std::string sent = f.send('Q', query_body("SELECT 1; DELETE FROM orders"));
  const std::string word = query_sql(sent);
  CHECK_THAT(word, Catch::Matches("pgveil_refused_[0-9a-f]{16}_[0-9]+"));

  // A client's own syntax error is the server's to report.
  std::string out;
  CHECK_FALSE(f.gate.swap_error(server_syntax_error("SELEC"), out));
  CHECK(out.empty());

  REQUIRE(f.gate.swap_error(server_syntax_error(word), out));
  const auto error = client_error(out);
  CHECK(error.severity == "ERROR");
  CHECK(error.sqlstate == "42501");
  CHECK(error.message == "pgveil: role \"support\" is read-only: DELETE is not allowed");
  CHECK_THAT(error.hint, Catch::Contains("pgveil request --db prod --role <a role that allows writes> --reason"));
  CHECK(error.get(pgwire::field::kPosition) == nullptr);   // the substitute's position means nothing
  out.clear();
  CHECK_FALSE(f.gate.swap_error(server_syntax_error(word), out));   // answered once
}

TEST_CASE("statement gate: a refused Parse keeps its statement name; skipped refusals are dropped", "[proxy][statements]") {
  Fixture f("    statements: read-only\n");
  std::string parse;
  pgwire::encode_parse(parse, "s1", "INSERT INTO orders VALUES ($1)");
  const std::string first = f.send('P', body_of(parse));
  REQUIRE(first[0] == 'P');
  const std::string substitute_body = body_of(first);
  auto substitute = pgwire::parse_parse(pgwire::as_bytes(substitute_body));
  REQUIRE(substitute);
  CHECK(substitute->statement == "s1");
  CHECK(substitute->parameter_types.size() == 0);
  const std::string first_word(substitute->query);

  // An earlier error made the server skip the first substitute; it answers the second.
  const std::string second_word = query_sql(f.send('Q', query_body("TRUNCATE orders")));
  std::string out;
  REQUIRE(f.gate.swap_error(server_syntax_error(second_word), out));
  CHECK_THAT(client_error(out).message, Catch::EndsWith("TRUNCATE is not allowed"));
  out.clear();
  CHECK_FALSE(f.gate.swap_error(server_syntax_error(first_word), out));
}

TEST_CASE("statement gate: fast-path calls, unparsable SQL and the role's deny list", "[proxy][statements]") {
  Fixture f("    deny_functions: [pg_terminate_backend]\n");
  const std::string word = query_sql(f.send('F', std::string(10, '\0')));
  std::string out;
  REQUIRE(f.gate.swap_error(server_syntax_error(word), out));
  CHECK_THAT(client_error(out).message, Catch::Contains("fast-path function calls are not allowed"));

  CHECK(f.send('Q', query_body("DELETE FROM orders")) == "forwarded");   // statements: all
  auto denied = f.gate.check("SELECT pg_catalog.pg_terminate_backend(1)");
  REQUIRE(denied);
  CHECK(denied->message ==
        "pgveil: role \"support\" refuses this statement: function pg_terminate_backend() is on the role's deny list "
        "(roles.support.deny_functions)");

  auto unparsed = f.gate.check("SELECT 1 FROM WHERE");
  REQUIRE(unparsed);
  CHECK(unparsed->sqlstate == "42601");
  CHECK(unparsed->message == "syntax error at or near \"WHERE\"");
  REQUIRE(unparsed->get(pgwire::field::kPosition) != nullptr);
  CHECK(*unparsed->get(pgwire::field::kPosition) == "15");
  CHECK_THAT(unparsed->hint, Catch::Contains("did not send this one to the server"));
}

TEST_CASE("statement gate: a reload applies at the next statement; a vanished role keeps its rules", "[proxy][statements]") {
  Fixture f("    statements: read-only\n");
  CHECK(f.gate.check("UPDATE orders SET total = 0"));
  f.config = config_with("    statements: all\n");
  CHECK_FALSE(f.gate.check("UPDATE orders SET total = 0"));   // cached verdicts are dropped too
  f.config = config_with("    statements: read-only\n");
  CHECK(f.gate.check("UPDATE orders SET total = 0"));
  auto without = std::make_shared<proxy::Config>(*f.config);
  without->roles.clear();
  f.config = without;
  CHECK(f.gate.check("UPDATE orders SET total = 0"));   // fail closed
}
