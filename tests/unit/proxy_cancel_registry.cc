#include <catch2/catch.hpp>

#include "proxy/cancel_registry.h"

using proxy::CancelRegistry;

TEST_CASE("cancel keys: the upstream pid with a key of pgveil's own", "[proxy][cancel]") {
  CancelRegistry registry;
  const auto minted = registry.mint({"prod", 4242, "upst"});
  CHECK(minted.pid == 4242);
  REQUIRE(minted.key.size() == 4);
  CHECK(registry.find(4242, "upst") == std::nullopt);   // the upstream key is not the client's
  auto found = registry.find(4242, minted.key);
  REQUIRE(found);
  CHECK(found->database == "prod");
  CHECK(found->upstream_key == "upst");
  CHECK(registry.find(4243, minted.key) == std::nullopt);
  CHECK(registry.find(4242, minted.key + "x") == std::nullopt);
  registry.forget(minted);
  CHECK(registry.find(4242, minted.key) == std::nullopt);
  CHECK(registry.size() == 0);
}

TEST_CASE("cancel keys: the same pid from two servers stays two entries", "[proxy][cancel]") {
  CancelRegistry registry;
  const auto a = registry.mint({"prod", 77, "aaaa"});
  const auto b = registry.mint({"staging", 77, "bbbb"});
  CHECK(a.key != b.key);
  CHECK(registry.size() == 2);
  CHECK(registry.find(77, a.key)->database == "prod");
  CHECK(registry.find(77, b.key)->database == "staging");
  registry.forget(a);
  CHECK(registry.find(77, a.key) == std::nullopt);
  CHECK(registry.find(77, b.key)->database == "staging");
}
