// Checksums and shape rules that turn regex candidates into detections. Each rejects the near
// misses its pattern cannot tell apart: order numbers that are not Luhn-valid, dates and
// thousands-grouped amounts that look like phone numbers, SSN areas never issued.
#include <arpa/inet.h>

#include <string>

#include "masking/detectors.h"

namespace masking {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string digits_of(std::string_view s) {
  std::string d;
  for (char c : s)
    if (is_digit(c)) d.push_back(c);
  return d;
}

// Splits on any run of non-digits: "(415) 555-2671" -> 415, 555, 2671.
std::vector<std::string_view> digit_groups(std::string_view s) {
  std::vector<std::string_view> groups;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && !is_digit(s[i])) ++i;
    const std::size_t start = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i > start) groups.push_back(s.substr(start, i - start));
  }
  return groups;
}

// 2024-01-05, 2024-01-05 10 (a timestamp cut at the colon), 05/01/2024: dates, not phones.
// Two-digit years are not considered: "06 12 34 56 78" is a French mobile number.
bool looks_like_date(const std::vector<std::string_view>& g) {
  if (g.size() < 3) return false;
  return (g[0].size() == 4 && g[1].size() <= 2 && g[2].size() <= 2) ||
         (g[0].size() <= 2 && g[1].size() <= 2 && g[2].size() == 4);
}

// 1 000 000 / 12.345.678: a grouped amount, not a phone number.
bool looks_like_grouped_amount(const std::vector<std::string_view>& g) {
  if (g.size() < 2 || g[0].size() > 3) return false;
  for (std::size_t i = 1; i < g.size(); ++i)
    if (g[i].size() != 3) return false;
  return true;
}

}  // namespace

bool luhn_valid(std::string_view digits) {
  int sum = 0;
  bool twice = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (!is_digit(*it)) return false;
    int d = *it - '0';
    if (twice && (d *= 2) > 9) d -= 9;
    sum += d;
    twice = !twice;
  }
  return !digits.empty() && sum % 10 == 0;
}

bool payment_card_valid(std::string_view candidate) {
  const std::string d = digits_of(candidate);
  // Issuer prefixes 2-6 (Mastercard 2/5, Visa 4, Amex/Diners 3, Discover/UnionPay 6): the
  // Luhn check alone would let one number in ten through.
  return d.size() >= 13 && d.size() <= 19 && d[0] >= '2' && d[0] <= '6' && luhn_valid(d);
}

bool iban_valid(std::string_view candidate) {
  // On the stack: hex ids ("ab12f0...") reach this often, and most fail.
  constexpr std::size_t kMax = 34;
  char s[kMax];
  std::size_t size = 0;
  for (char c : candidate) {
    if (c == ' ') continue;
    if (size == kMax) return false;  // longer than any IBAN
    s[size++] = c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c;
  }
  if (size < 15) return false;
  if (!(s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' && is_digit(s[2]) && is_digit(s[3]))) return false;
  // ISO 13616: move the first four characters to the end, letters become 10..35, mod 97 == 1.
  int remainder = 0;
  for (std::size_t i = 0; i < size; ++i) {
    const char c = s[(i + 4) % size];
    if (is_digit(c)) {
      remainder = (remainder * 10 + (c - '0')) % 97;
    } else if (c >= 'A' && c <= 'Z') {
      remainder = (remainder * 100 + (c - 'A' + 10)) % 97;
    } else {
      return false;
    }
  }
  return remainder == 1;
}

bool phone_valid(std::string_view candidate) {
  const std::string d = digits_of(candidate);
  if (d.size() < 7 || d.size() > 15) return false;  // E.164: at most 15 digits
  if (candidate[0] == '+') return d.size() >= 8;
  const auto groups = digit_groups(candidate);
  if (groups.size() == 1) {
    // A bare digit run is a phone number only with a national trunk prefix (0612345678);
    // otherwise it is an id, an amount or a count.
    return d[0] == '0' && d.size() >= 10 && d.size() <= 11;
  }
  if (looks_like_date(groups) || looks_like_grouped_amount(groups)) return false;
  if (groups.size() == 4 && candidate.find('.') != std::string_view::npos) {
    bool ip = true;  // 192.168.10.20
    for (auto g : groups) ip = ip && g.size() <= 3;
    if (ip) return false;
  }
  return true;
}

bool ssn_valid(std::string_view candidate) {
  const auto groups = digit_groups(candidate);
  if (groups.size() != 3 || groups[0].size() != 3 || groups[1].size() != 2 || groups[2].size() != 4) return false;
  if (candidate[3] != candidate[6]) return false;  // one separator style: 123-45 6789 is not an SSN
  const int area = std::stoi(std::string(groups[0]));
  // SSA: areas 000, 666 and 900-999 are never issued; group 00 and serial 0000 neither.
  return area != 0 && area != 666 && area < 900 && groups[1] != "00" && groups[2] != "0000";
}

bool ip_address_valid(std::string_view candidate) {
  const std::string s(candidate);
  unsigned char buf[16];
  if (s.find(':') == std::string::npos) return inet_pton(AF_INET, s.c_str(), buf) == 1;
  std::size_t hex = 0;
  for (char c : s) hex += (c != ':' && c != '.') ? 1 : 0;
  return hex >= 2 && inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

}  // namespace masking
