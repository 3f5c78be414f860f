// AuditReplies: which backend reply ends which audited statement, and which replies answer
// pgveil's own refusal messages.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "proxy/audit_replies.h"
#include "proxy/wire/backend_messages.h"
#include "proxy/wire/error.h"

using proxy::AuditReplies;

namespace {

const AuditReplies::Time kT0{};

// The body of an encoded backend message (after type and length).
std::string body_of(const std::string& message) { return message.substr(5); }

std::string complete(std::string_view tag) {
  std::string out;
  pgwire::encode_command_complete(out, tag);
  return body_of(out);
}

std::string error(std::string_view sqlstate) {
  std::string out;
  pgwire::encode_error_response(out, pgwire::make_error("ERROR", sqlstate, "boom"));
  return body_of(out);
}

void backend(AuditReplies& r, char type, const std::string& body, std::vector<AuditReplies::Done>& done) {
  r.on_backend(type, pgwire::as_bytes(body), done);
}

}  // namespace

TEST_CASE("audit replies: pipelined Executes end at their CommandComplete with rows and tags", "[proxy][audit]") {
  AuditReplies r;
  std::vector<AuditReplies::Done> done;
  for (std::uint64_t id : {1, 2}) {
    r.on_frontend('P');
    r.on_frontend('B');
    r.on_frontend('D');
    r.on_statement('E', id, kT0, done);
  }
  r.on_frontend('S');
  backend(r, '1', "", done);
  backend(r, '2', "", done);
  backend(r, 'T', "xx", done);
  backend(r, 'D', "row", done);
  backend(r, 'D', "row", done);
  CHECK(done.empty());
  backend(r, 'C', complete("SELECT 2"), done);
  REQUIRE(done.size() == 1);
  CHECK(done[0].id == 1);
  CHECK(done[0].rows == 2);
  CHECK(done[0].tag == "SELECT 2");
  CHECK_FALSE(done[0].sqlstate);
  backend(r, '1', "", done);
  backend(r, '2', "", done);
  backend(r, 'n', "", done);
  backend(r, 'C', complete("INSERT 0 5"), done);
  REQUIRE(done.size() == 2);
  CHECK(done[1].id == 2);
  CHECK(done[1].rows == 5);   // no DataRows: the tag's count
  backend(r, 'Z', "I", done);
  CHECK(r.empty());
}

TEST_CASE("audit replies: an error ends the failed Execute and the skipped ones before Sync", "[proxy][audit]") {
  AuditReplies r;
  std::vector<AuditReplies::Done> done;
  r.on_frontend('P');
  r.on_frontend('B');
  r.on_statement('E', 1, kT0, done);
  r.on_frontend('B');
  r.on_statement('E', 2, kT0, done);
  r.on_frontend('S');
  backend(r, '1', "", done);
  backend(r, '2', "", done);
  backend(r, 'E', error("22012"), done);
  REQUIRE(done.size() == 2);
  CHECK(done[0].sqlstate == "22012");
  CHECK(done[1].sqlstate == "22012");   // never ran
  backend(r, 'Z', "I", done);
  CHECK(r.empty());
}

TEST_CASE("audit replies: after an error with no Sync yet, later messages are discarded too", "[proxy][audit]") {
  AuditReplies r;
  std::vector<AuditReplies::Done> done;
  r.on_frontend('B');
  r.on_statement('E', 1, kT0, done);
  r.on_frontend('H');   // Flush: no Sync yet
  backend(r, 'E', error("42P01"), done);
  REQUIRE(done.size() == 1);
  r.on_frontend('B');
  r.on_statement('E', 2, kT0, done);   // the server discards it
  REQUIRE(done.size() == 2);
  CHECK(done[1].sqlstate == "42P01");
  r.on_frontend('S');
  backend(r, 'Z', "I", done);
  CHECK(r.empty());
}

TEST_CASE("audit replies: a simple Query ends at ReadyForQuery, with its error", "[proxy][audit]") {
  AuditReplies r;
  std::vector<AuditReplies::Done> done;
  r.on_statement('Q', 7, kT0, done);
  backend(r, 'T', "x", done);
  backend(r, 'D', "r", done);
  backend(r, 'C', complete("SELECT 1"), done);
  backend(r, 'E', error("22012"), done);
  CHECK(done.empty());
  backend(r, 'Z', "I", done);
  REQUIRE(done.size() == 1);
  CHECK(done[0].id == 7);
  CHECK(done[0].rows == 1);
  CHECK(done[0].sqlstate == "22012");
}

TEST_CASE("audit replies: a refused Execute ends with the error the client gets", "[proxy][audit]") {
  AuditReplies r;
  std::vector<AuditReplies::Done> done;
  r.on_frontend('P');
  r.on_frontend('B');
  r.on_statement('E', 3, kT0, done);   // sent upstream as a failing Parse
  r.on_frontend('S');
  backend(r, '1', "", done);
  backend(r, '2', "", done);
  backend(r, 'E', error("58030"), done);
  REQUIRE(done.size() == 1);
  CHECK(done[0].id == 3);
  CHECK(done[0].sqlstate == "58030");
  backend(r, 'Z', "I", done);
  CHECK(r.empty());
}

TEST_CASE("audit replies: COPY FROM in the extended protocol swallows the Syncs before CopyDone", "[proxy][audit]") {
  AuditReplies r;
  std::vector<AuditReplies::Done> done;
  r.on_frontend('B');
  r.on_statement('E', 1, kT0, done);
  r.on_frontend('S');   // ignored by the server during COPY
  backend(r, '2', "", done);
  backend(r, 'G', "", done);
  r.on_frontend('S');   // also ignored
  r.on_frontend('c');
  r.on_frontend('S');   // answered
  backend(r, 'C', complete("COPY 3"), done);
  REQUIRE(done.size() == 1);
  CHECK(done[0].rows == 3);
  backend(r, 'Z', "I", done);
  CHECK(r.empty());
}
