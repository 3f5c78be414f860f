// HMAC-SHA-256 keyed pseudonyms (DESIGN.md "Deterministic pseudonyms"): the same input gives the
// same output under the same key, so joins and GROUP BY still work on masked data, while without
// the key the output reveals nothing about the input.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace masking {

class MaskKey {
 public:
  MaskKey() = default;
  explicit MaskKey(std::string_view key);

  bool empty() const { return state_ == nullptr; }

  using Digest = std::array<std::uint8_t, 32>;
  // HMAC(key, purpose || 0 || value || counter). `purpose` separates masks ("hash", "tokenize"),
  // so a tokenized and a hashed column never leak equality to each other.
  Digest digest(std::string_view purpose, std::string_view value, std::uint32_t counter = 0) const;

  // An arbitrary-length deterministic byte stream: concatenated digests with counters 0, 1, ...
  void stream(std::string_view purpose, std::string_view value, std::size_t n, std::string& out) const;

 private:
  struct State;  // the HMAC inner and outer hash states after absorbing the padded key
  std::shared_ptr<const State> state_;
};

}  // namespace masking
