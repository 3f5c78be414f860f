// Reading a running pgveil's audit file in integration tests: its events, and waiting for one.
#pragma once

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace testsupport {

// Every event (line) of the file; none if it does not exist yet.
inline std::vector<nlohmann::json> audit_events(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

// Polls the file until `pred` holds for one of its events; that event, or null after `timeout`.
template <class Pred>
nlohmann::json wait_audit_event(const std::string& path, Pred pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (std::filesystem::exists(path)) {
      for (const auto& e : audit_events(path)) {
        if (pred(e)) return e;
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) return nlohmann::json();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace testsupport
