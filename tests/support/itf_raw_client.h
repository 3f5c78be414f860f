// A raw PostgreSQL-protocol client over a plain loopback socket, for the failure and admission
// tests: it sends exactly the bytes a test chooses (malformed startup packets, a replayed SCRAM
// message, a 3.2 startup libpq 15 cannot produce) and reads what comes back with a bounded
// timeout, so a test can assert the ErrorResponse fields and that the connection was closed.
//
// Framing and SCRAM come from pgwire (the codec under test is not trusted to *judge* the
// answers: tests compare decoded fields with expected values).
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/wire/error.h"

namespace itf {

using Millis = std::chrono::milliseconds;

struct Message {
  char type = 0;
  std::string body;
};

enum class ReadEnd { kClosed, kTimeout, kError };
std::string_view to_string(ReadEnd end);

class RawClient {
 public:
  // TCP connect to 127.0.0.1:port; throws std::runtime_error when refused.
  static RawClient connect(std::uint16_t port);
  RawClient(RawClient&& other) noexcept;
  RawClient& operator=(RawClient&& other) noexcept;
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;
  ~RawClient();

  bool send(std::string_view bytes);  // false when the write failed (peer gone)
  std::expected<char, ReadEnd> read_byte(Millis timeout);
  // One typed backend message (Byte1 type, Int32 length, body).
  std::expected<Message, ReadEnd> read_message(Millis timeout);
  // Reads until end of file. True when the peer closed within `timeout`; what was read on the way
  // (normally nothing) is appended to `*seen`.
  bool wait_closed(Millis timeout, std::string* seen = nullptr);
  void close();  // plain close(2): with unread data queued the kernel sends RST (a vanished client)
  int fd() const { return fd_; }

 private:
  explicit RawClient(int fd) : fd_(fd) {}
  // Reads more into buffer_; kTimeout if nothing arrived before the deadline.
  std::expected<void, ReadEnd> fill(std::chrono::steady_clock::time_point deadline);
  int fd_ = -1;
  std::string buffer_;
};

// Untyped startup-phase packets (PG docs "Message Formats").
std::string startup_packet(const std::vector<std::pair<std::string, std::string>>& params,
                           std::uint16_t major = 3, std::uint16_t minor = 0);
std::string ssl_request();
std::string gssenc_request();
std::string cancel_request(std::int32_t pid, std::string_view key);
std::string raw_u32(std::uint32_t value);  // big-endian, for hand-made malformed packets

std::optional<pgwire::ErrorFields> error_of(const Message& message);  // 'E' or 'N' only

// What to send instead of the computed SCRAM messages (replay tests).
struct ScramScript {
  std::optional<std::string> client_first;  // SASLInitialResponse data (client-first-message)
  std::optional<std::string> client_final;  // SASLResponse data (client-final-message)
};

struct LoginResult {
  bool ok = false;                           // AuthenticationOk ... ReadyForQuery seen
  std::optional<pgwire::ErrorFields> error;  // the ErrorResponse that ended the login
  std::string failure;                       // why, when it ended without an ErrorResponse
  std::vector<Message> before_auth;          // messages before AuthenticationSASL (e.g. 'v')
  std::vector<std::string> mechanisms;
  std::int32_t backend_pid = 0;
  std::string backend_key;
  std::vector<std::pair<std::string, std::string>> parameters;  // ParameterStatus
  std::string client_first, client_final;    // as sent
  std::string describe() const;
};

// Runs the client side of the login after the startup packet was sent: SCRAM-SHA-256 with
// `password` (pgwire::scram::ClientExchange), then AuthenticationOk, ParameterStatus,
// BackendKeyData and ReadyForQuery.
LoginResult scram_login(RawClient& client, std::string_view password, const ScramScript& script = {},
                        Millis timeout = Millis(10000));

struct QueryResult {
  bool ready = false;  // ReadyForQuery received
  std::vector<std::vector<std::optional<std::string>>> rows;
  std::optional<pgwire::ErrorFields> error;
  std::string failure;  // connection closed / timed out before ReadyForQuery
};

std::string query_message(std::string_view sql);  // 'Q'
std::string terminate_message();                   // 'X'
// Reads the replies to a Query already sent, until ReadyForQuery.
QueryResult read_query_result(RawClient& client, Millis timeout = Millis(10000));
// Sends a simple Query and reads until ReadyForQuery (or an error that closes the connection).
QueryResult simple_query(RawClient& client, std::string_view sql, Millis timeout = Millis(10000));
// Reads messages until an ErrorResponse arrives; nullopt on close/timeout first.
std::optional<pgwire::ErrorFields> read_error(RawClient& client, Millis timeout);

}  // namespace itf
