// numeric in binary format (numeric_send/numeric_recv): int16 ndigits, int16 weight, uint16 sign,
// int16 dscale, then ndigits base-10000 digits, the first worth 10000^weight. Converted to and
// from the text form numeric_out prints, so numeric columns are masked by the same code in both
// formats.
#include "masking/binary_numeric.h"

#include <cstdint>
#include <vector>

#include <fmt/format.h>

namespace masking {
namespace {

constexpr std::uint16_t kPositive = 0x0000, kNegative = 0x4000, kNaN = 0xC000, kPlusInfinity = 0xD000,
                        kMinusInfinity = 0xF000;
constexpr int kMaxDigits = 16384 + 1000;   // numeric's limits (131072 integer digits / 4, 16383 fraction digits)

std::uint16_t u16(pgwire::Bytes in, std::size_t at) {
  return static_cast<std::uint16_t>((in[at] << 8) | in[at + 1]);
}

void put16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xFF));
}

}  // namespace

bool numeric_binary_to_text(pgwire::Bytes in, std::string& out) {
  if (in.size() < 8) return false;
  const std::uint16_t ndigits = u16(in, 0), sign = u16(in, 4);
  const auto weight = static_cast<std::int16_t>(u16(in, 2));
  const std::uint16_t dscale = u16(in, 6);
  if (in.size() != 8 + std::size_t{ndigits} * 2 || dscale > 0x3FFF) return false;
  if (sign == kNaN) return out.append("NaN"), true;
  if (sign == kPlusInfinity) return out.append("Infinity"), true;
  if (sign == kMinusInfinity) return out.append("-Infinity"), true;
  if (sign != kPositive && sign != kNegative) return false;
  std::vector<int> digits(ndigits);
  for (std::size_t i = 0; i < ndigits; ++i) {
    digits[i] = u16(in, 8 + 2 * i);
    if (digits[i] > 9999) return false;
  }
  // The group worth 10000^e is digits[weight - e] (zero outside the stored ones).
  const auto group = [&](int e) {
    const int i = weight - e;
    return i >= 0 && i < ndigits ? digits[static_cast<std::size_t>(i)] : 0;
  };
  if (sign == kNegative) out.push_back('-');
  const auto it = std::back_inserter(out);
  if (weight < 0) {
    out.push_back('0');
  } else {
    fmt::format_to(it, "{}", group(weight));
    for (int e = weight - 1; e >= 0; --e) fmt::format_to(it, "{:04}", group(e));
  }
  if (dscale > 0) {
    std::string fraction;
    for (int e = -1; static_cast<int>(fraction.size()) < dscale; --e) fmt::format_to(std::back_inserter(fraction), "{:04}", group(e));
    out.push_back('.');
    out.append(fraction, 0, dscale);
  }
  return true;
}

bool numeric_text_to_binary(std::string_view text, std::string& out) {
  std::uint16_t special = 0;
  if (text == "NaN") special = kNaN;
  if (text == "Infinity") special = kPlusInfinity;
  if (text == "-Infinity") special = kMinusInfinity;
  if (special != 0) {
    put16(out, 0), put16(out, 0), put16(out, special), put16(out, 0);
    return true;
  }
  const bool negative = !text.empty() && text[0] == '-';
  if (negative || (!text.empty() && text[0] == '+')) text.remove_prefix(1);
  const std::size_t point = text.find('.');
  std::string_view integer = text.substr(0, point);
  const std::string_view fraction = point == std::string_view::npos ? std::string_view{} : text.substr(point + 1);
  if (integer.empty() && fraction.empty()) return false;
  for (const std::string_view part : {integer, fraction}) {
    for (char c : part)
      if (c < '0' || c > '9') return false;
  }
  if (fraction.size() > 0x3FFF || integer.size() / 4 + fraction.size() / 4 > kMaxDigits) return false;
  // Digits padded to whole groups of four on both sides of the point.
  std::string all(3 - (integer.size() + 3) % 4, '0');
  all.append(integer);
  const int integer_groups = static_cast<int>(all.size() / 4);
  all.append(fraction);
  all.append((4 - fraction.size() % 4) % 4, '0');
  std::vector<std::uint16_t> groups;
  for (std::size_t i = 0; i < all.size(); i += 4) {
    groups.push_back(static_cast<std::uint16_t>((all[i] - '0') * 1000 + (all[i + 1] - '0') * 100 +
                                                (all[i + 2] - '0') * 10 + (all[i + 3] - '0')));
  }
  int weight = integer_groups - 1;
  std::size_t first = 0, last = groups.size();
  while (first < last && groups[first] == 0) ++first, --weight;
  while (last > first && groups[last - 1] == 0) --last;
  const bool zero = first == last;
  put16(out, static_cast<std::uint16_t>(last - first));
  put16(out, static_cast<std::uint16_t>(static_cast<std::int16_t>(zero ? 0 : weight)));
  put16(out, negative && !zero ? kNegative : kPositive);
  put16(out, static_cast<std::uint16_t>(fraction.size()));
  for (std::size_t i = first; i < last; ++i) put16(out, groups[i]);
  return true;
}

}  // namespace masking
