// Loopback TCP helpers for integration tests.
#pragma once

#include <chrono>
#include <cstdint>

namespace testsupport {

// Binds 127.0.0.1:0, reads the port the kernel chose, closes. The port is free *now*; a server
// started with it may still lose a race with another process, so callers that can retry do.
std::uint16_t free_port();

// True when a TCP connect to 127.0.0.1:port succeeds (the connection is closed at once).
bool port_accepts(std::uint16_t port);

// Polls port_accepts until it succeeds or `timeout` passes.
bool wait_for_port(std::uint16_t port, std::chrono::milliseconds timeout);

}  // namespace testsupport
