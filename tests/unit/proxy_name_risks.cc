// Risks of prepared statements and portals by name (proxy/name_risks.h): never lower than what
// the server holds under the name, whatever it refused or skipped.
#include <catch2/catch.hpp>

#include "proxy/name_risks.h"

namespace {

using Space = proxy::NameRisks::Space;

proxy::SqlRisk derived() {
  proxy::SqlRisk r = proxy::SqlRisk::safe();
  r.derived = r.copy_unsafe = true;
  return r;
}

}  // namespace

TEST_CASE("name risks: unknown names fail closed; a Parse or Bind sent gives its risk", "[proxy][masking]") {
  proxy::NameRisks names;
  CHECK(names.find(Space::kStatement, "p").derived);   // unknown
  names.on_sent(Space::kStatement, "", derived());
  names.on_sync();
  names.on_complete(Space::kStatement);
  names.on_ready();
  CHECK(names.find(Space::kStatement, "").derived);
  // Parse, Bind, Execute in one go: the Execute runs the new statement (or is skipped).
  names.on_sent(Space::kStatement, "", proxy::SqlRisk::safe());
  names.on_sent(Space::kPortal, "", names.find(Space::kStatement, ""));
  CHECK_FALSE(names.find(Space::kPortal, "").derived);
  names.on_sync();
  names.on_complete(Space::kStatement);
  names.on_complete(Space::kPortal);
  names.on_ready();
  CHECK_FALSE(names.find(Space::kStatement, "").derived);
}

TEST_CASE("name risks: a Parse the server skipped after an error does not lower the risk", "[proxy][masking]") {
  proxy::NameRisks names;
  names.on_sent(Space::kStatement, "", derived());
  names.on_sync();
  names.on_complete(Space::kStatement);
  names.on_ready();
  // Parse(bad) -> ErrorResponse; Parse("", safe) skipped; Sync.
  names.on_sent(Space::kStatement, "bad", proxy::SqlRisk::safe());
  names.on_sent(Space::kStatement, "", proxy::SqlRisk::safe());
  names.on_sent(Space::kPortal, "", names.find(Space::kStatement, ""));
  names.on_sync();
  names.on_error();
  names.on_ready();
  CHECK(names.find(Space::kStatement, "").derived);
  CHECK(names.find(Space::kPortal, "").derived);
}

TEST_CASE("name risks: PREPARE and DECLARE of an existing name only raise", "[proxy][masking]") {
  proxy::NameRisks names;
  names.raise(Space::kStatement, "p", derived());
  names.raise(Space::kStatement, "p", proxy::SqlRisk::safe());   // "already exists": the old one stays
  CHECK(names.find(Space::kStatement, "p").derived);
  names.raise(Space::kPortal, "c", derived());
  names.on_sent(Space::kPortal, "c", proxy::SqlRisk::safe());     // Bind to a cursor's name: refused by the server
  names.on_sync();
  names.on_error();
  names.on_ready();
  CHECK(names.find(Space::kPortal, "c").derived);
}

TEST_CASE("name risks: a Parse never confirmed before ReadyForQuery keeps the old risk", "[proxy][masking]") {
  proxy::NameRisks names;
  names.raise(Space::kStatement, "", derived());
  names.on_sent(Space::kStatement, "", proxy::SqlRisk::safe());
  names.on_sync();
  names.on_ready();
  CHECK(names.find(Space::kStatement, "").derived);
}
