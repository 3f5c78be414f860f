#include <catch2/catch.hpp>

#include "proxy/reply_order.h"

using proxy::ReplyOrder;

TEST_CASE("reply order: injected Describes are told apart from the client's", "[proxy][masking]") {
  ReplyOrder order;
  // Parse/Bind/Describe(client)/Describe(injected)/Execute/Sync, twice, pipelined.
  for (int i = 0; i < 2; ++i) {
    order.on_describe(false);
    order.on_describe(true);
    order.on_sync();
  }
  CHECK_FALSE(order.on_description().ours);   // the client's T
  CHECK(order.on_description().ours);         // ours
  order.on_ready();
  CHECK_FALSE(order.on_description().ours);
  CHECK(order.on_description().ours);
  order.on_ready();
  CHECK(order.empty());
}

TEST_CASE("reply order: a simple Query's descriptions are its own", "[proxy][masking]") {
  ReplyOrder order;
  order.on_query();
  order.on_describe(true);   // an Execute pipelined after the Query
  order.on_sync();
  CHECK_FALSE(order.on_description().ours);   // first SELECT of the query
  CHECK_FALSE(order.on_description().ours);   // second SELECT of the query
  order.on_ready();
  CHECK(order.on_description().ours);
  order.on_ready();
  CHECK(order.empty());
}

TEST_CASE("reply order: after an error the skipped Describes are dropped up to Sync", "[proxy][masking]") {
  ReplyOrder order;
  order.on_describe(true);   // Bind fails before this
  order.on_describe(false);
  order.on_sync();
  order.on_describe(true);   // next group
  order.on_sync();
  order.on_error();
  order.on_ready();
  CHECK(order.on_description().ours);   // the next group's injected Describe, not the skipped ones
  order.on_ready();
  CHECK(order.empty());

  // An error inside a simple Query keeps what follows it.
  order.on_query();
  order.on_describe(true);
  order.on_sync();
  order.on_error();
  order.on_ready();
  CHECK(order.on_description().ours);
}

TEST_CASE("reply order: each answer carries its statement's derived flag", "[proxy][masking]") {
  ReplyOrder order;
  proxy::SqlRisk derived = proxy::SqlRisk::safe();
  derived.derived = true;
  order.on_query(derived);
  order.on_describe(false, proxy::SqlRisk::safe());
  order.on_describe(true, derived);
  order.on_sync();
  CHECK(order.on_description().derived);   // the query's results
  order.on_ready();
  const auto client = order.on_description();
  CHECK_FALSE(client.ours);
  CHECK_FALSE(client.derived);
  const auto ours = order.on_description();
  CHECK(ours.ours);
  CHECK(ours.derived);
}

TEST_CASE("reply order: the statement answering now, for errors and COPY", "[proxy][masking]") {
  ReplyOrder order;
  CHECK_FALSE(order.current().derived);   // nothing yet: Parse/Bind errors quote client input only
  CHECK(order.copy_unsafe());             // a COPY nobody described: assume the worst
  proxy::SqlRisk refused = proxy::SqlRisk::safe();
  refused.refusal = "it filters by ssn";
  refused.derived = true;
  order.on_describe(true, refused);
  order.on_sync();
  const auto answer = order.on_description();
  CHECK(answer.refusal == "it filters by ssn");
  CHECK(order.current().derived);         // the Execute's rows and errors follow its Describe
  CHECK_FALSE(order.copy_unsafe());
  order.on_ready();
  CHECK_FALSE(order.current().derived);
}
