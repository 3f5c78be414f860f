// libFuzzer target: arbitrary SCRAM messages into both exchanges, plus the verifier parser and
// SASLprep. Input layout: one mode byte, then message 1, '\n', message 2.
//   mode bit 0: server offered -PLUS (has channel binding data)
//   mode bit 1: client chose SCRAM-SHA-256-PLUS (else SCRAM-SHA-256)
//   mode bit 2: also run a ClientExchange fed message 1 / 2 as server-first / server-final
//   mode bit 3: that client has channel binding data
//   mode bit 4: also Verifier::parse and saslprep the whole rest
// Nonces are fixed so the seed corpus can hold a complete, valid exchange (see corpus/fuzz_scram).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/wire/scram.h"

using namespace pgwire::scram;

namespace {
const std::string kCbind(32, 'C');
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  // One PBKDF2 iteration keeps each run cheap; the exchange logic is what is under test.
  static const Verifier verifier = make_verifier_with_salt("pencil", "fuzzsalt", 1);
  const std::uint8_t mode = data[0];
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::size_t split = rest.find('\n');
  const std::string_view first = rest.substr(0, split);
  const std::string_view second = split == std::string_view::npos ? std::string_view() : rest.substr(split + 1);

  ServerExchange server(verifier, (mode & 1) ? kCbind : std::string(), FixedNonce{"srvnonce"});
  const std::string_view mechanism = (mode & 2) ? kMechanismPlus : kMechanism;
  if (auto server_first = server.on_client_first(mechanism, first)) {
    if (server_first->empty() || server.done()) std::abort();
    auto server_final = server.on_client_final(second);
    if (server_final.has_value() != server.done()) std::abort();
    if (server_final && !server_final->starts_with("v=")) std::abort();
    // A finished exchange never accepts anything more.
    if (server.on_client_final(second).has_value()) std::abort();
  } else if (server.on_client_final(second).has_value()) {
    std::abort();  // no final without a successful first
  }

  if (mode & 4) {
    ClientExchange client("pencil", (mode & 8) ? kCbind : std::string(), FixedNonce{"clinonce"});
    const std::vector<std::string> offered = ServerExchange::mechanisms(mode & 1);
    (void)client.choose_mechanism(offered);
    (void)client.client_first();
    if (auto client_final = client.on_server_first(first)) {
      if (client_final->find(",p=") == std::string::npos) std::abort();
      if (client.on_server_final(second).has_value() != client.done()) std::abort();
    }
  }

  if (mode & 16) {
    if (auto v = Verifier::parse(rest)) {
      if (Verifier::parse(v->to_string()) != *v) std::abort();
    }
    const std::string prepared = saslprep(rest);
    if (prepared.empty() != rest.empty()) std::abort();
  }
  return 0;
}
