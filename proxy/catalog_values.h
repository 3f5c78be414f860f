// Reading the text-format values of pgveil's own catalog queries (column_catalog*.cc).
#pragma once

#include <charconv>
#include <optional>
#include <string>

#include "proxy/wire/bytes.h"
#include "proxy/wire/views.h"

namespace proxy::catalog_values {

// A whole integer column value; nullopt for NULL or anything else.
template <class T>
std::optional<T> number(const pgwire::Value& v) {
  if (!v) return std::nullopt;
  const auto text = pgwire::as_chars(*v);
  T out{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return out;
}

}  // namespace proxy::catalog_values
