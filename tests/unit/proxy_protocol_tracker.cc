// ProtocolTracker: whether the server owes the client a ReadyForQuery, across simple queries,
// pipelines and COPY FROM in both protocols.
#include <catch2/catch.hpp>

#include <string>

#include "proxy/protocol_tracker.h"

namespace {

void frontend(proxy::ProtocolTracker& t, std::string_view types) {
  for (char c : types) t.on_frontend(c);
}

}  // namespace

TEST_CASE("simple query is busy until ReadyForQuery") {
  proxy::ProtocolTracker t;
  CHECK_FALSE(t.busy());
  t.on_frontend('Q');
  CHECK(t.busy());
  t.on_backend('T');
  t.on_backend('D');
  t.on_backend('C');
  CHECK(t.busy());
  t.on_backend('Z', 'T');
  CHECK_FALSE(t.busy());
  CHECK(t.transaction_status() == 'T');
}

TEST_CASE("extended pipeline counts one ReadyForQuery per Sync, Flush counts none") {
  proxy::ProtocolTracker t;
  frontend(t, "PBDEH");
  CHECK_FALSE(t.busy());   // nothing owes a ReadyForQuery without Sync
  frontend(t, "SPBES");
  CHECK(t.pending() == 2);
  t.on_backend('1');
  t.on_backend('2');
  t.on_backend('Z', 'I');
  CHECK(t.pending() == 1);
  t.on_backend('E');
  t.on_backend('Z', 'E');
  CHECK_FALSE(t.busy());
  CHECK(t.transaction_status() == 'E');
}

TEST_CASE("FunctionCall owes a ReadyForQuery") {
  proxy::ProtocolTracker t;
  t.on_frontend('F');
  CHECK(t.busy());
  t.on_backend('V');
  t.on_backend('Z', 'I');
  CHECK_FALSE(t.busy());
}

TEST_CASE("simple COPY FROM STDIN: Syncs during copy-in are swallowed by the server") {
  proxy::ProtocolTracker t;
  t.on_frontend('Q');
  t.on_backend('G');
  CHECK(t.copy_in());
  frontend(t, "ddSdc");   // a stray Sync inside COPY gets no ReadyForQuery
  t.on_backend('C');
  t.on_backend('Z', 'I');
  CHECK_FALSE(t.busy());
  CHECK_FALSE(t.copy_in());
}

TEST_CASE("extended COPY FROM: the Sync sent before CopyInResponse is swallowed (libpq sends another after CopyDone)") {
  SECTION("CopyInResponse seen before the client finishes the copy") {
    proxy::ProtocolTracker t;
    frontend(t, "PBES");    // Sync pipelined behind the COPY's Execute
    t.on_backend('1');
    t.on_backend('2');
    t.on_backend('G');
    frontend(t, "dd");
    frontend(t, "cS");      // libpq: CopyDone then Sync
    CHECK(t.pending() == 1);
    t.on_backend('C');
    t.on_backend('Z', 'I');
    CHECK_FALSE(t.busy());
  }
  SECTION("client already sent CopyDone and Sync before CopyInResponse arrived") {
    proxy::ProtocolTracker t;
    frontend(t, "PBESddcS");
    t.on_backend('1');
    t.on_backend('2');
    t.on_backend('G');
    CHECK(t.pending() == 1);
    t.on_backend('C');
    t.on_backend('Z', 'I');
    CHECK_FALSE(t.busy());
  }
}

TEST_CASE("an error during COPY FROM ends copy-in; later Syncs are answered") {
  proxy::ProtocolTracker t;
  frontend(t, "PBES");
  t.on_backend('G');
  t.on_backend('E');
  CHECK_FALSE(t.copy_in());
  t.on_frontend('S');
  CHECK(t.pending() == 1);
  t.on_backend('Z', 'I');
  CHECK_FALSE(t.busy());
}

TEST_CASE("COPY TO STDOUT is tracked until ReadyForQuery") {
  proxy::ProtocolTracker t;
  t.on_frontend('Q');
  t.on_backend('H');
  CHECK(t.copy_out());
  t.on_backend('d');
  t.on_backend('c');
  CHECK_FALSE(t.copy_out());
  t.on_backend('C');
  t.on_backend('Z', 'I');
  CHECK_FALSE(t.busy());
}
