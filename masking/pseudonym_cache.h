// The last outputs of one column's keyed mask (hash, tokenize), so a value seen a few rows
// earlier is not run through HMAC-SHA-256 again (issue #4, Performance: the names, statuses or
// cities such columns hold repeat across a result; each miss costs two SHA-256 compressions).
//
// Bounded, whatever the result's size: kSlots direct-mapped slots (a colliding value takes the
// slot over) of values up to kMaxValue bytes; longer values are never cached. It belongs to one
// plan, i.e. one result of one session on one thread, and holds its plaintext values no longer
// than that plan. A hit returns exactly what the mask returned for the same value (masks are
// deterministic under one key), so the output is byte for byte the one without the cache.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "masking/masks.h"

namespace masking {

class PseudonymCache {
 public:
  static constexpr std::size_t kSlots = 64;
  static constexpr std::size_t kMaxValue = 64;

  struct Entry {
    std::string value, output;
    MaskOutcome outcome = MaskOutcome::kNull;
    bool used = false;
  };

  PseudonymCache() = default;
  // A copy starts empty: two plans never share one (their sessions may run on two threads).
  PseudonymCache(const PseudonymCache&) {}
  PseudonymCache& operator=(const PseudonymCache&) {
    slots_.reset();
    return *this;
  }
  PseudonymCache(PseudonymCache&&) noexcept = default;
  PseudonymCache& operator=(PseudonymCache&&) noexcept = default;

  static bool cacheable(std::string_view value) { return value.size() <= kMaxValue; }

  // The entry of `value`, or nullptr.
  const Entry* find(std::string_view value) const {
    if (!slots_) return nullptr;
    const Entry& e = (*slots_)[slot_of(value)];
    return e.used && e.value == value ? &e : nullptr;
  }

  // `value` must be cacheable(). The slots are allocated on the first store.
  void store(std::string_view value, MaskOutcome outcome, std::string_view output) {
    if (!slots_) slots_ = std::make_unique<std::array<Entry, kSlots>>();
    Entry& e = (*slots_)[slot_of(value)];
    e.value.assign(value);
    e.output.assign(output);
    e.outcome = outcome;
    e.used = true;
  }

 private:
  static std::size_t slot_of(std::string_view value) { return std::hash<std::string_view>{}(value) % kSlots; }
  std::unique_ptr<std::array<Entry, kSlots>> slots_;
};

}  // namespace masking
