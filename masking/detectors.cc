#include "masking/detectors.h"

#include "masking/detector_prefilter.h"

#include <algorithm>
#include <bit>

#include <fmt/format.h>
#include <re2/re2.h>
#include <re2/set.h>

namespace masking {
namespace {

using Validator = bool (*)(std::string_view);

struct BuiltinPattern {
  DetectorKind kind;
  const char* pattern;
  Validator validate;  // nullptr: the pattern is the whole rule
  bool shrink;         // on a failed check, retry shorter prefixes cut at separators
};

// RE2 syntax (no lookaround): word boundaries keep candidates from starting inside longer tokens.
constexpr BuiltinPattern kBuiltins[] = {
    {DetectorKind::kEmail,
     R"([\p{L}\p{N}._%+\-]+@[\p{L}\p{N}](?:[\p{L}\p{N}\-]*[\p{L}\p{N}])?(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}\-]*[\p{L}\p{N}])?)+)",
     nullptr, false},
    {DetectorKind::kPaymentCard, R"(\b\d(?:[ \-]?\d){12,18}\b)", payment_card_valid, true},
    {DetectorKind::kIban, R"((?i)\b[a-z]{2}\d{2}(?: ?[a-z0-9]){11,30}\b)", iban_valid, true},
    // No shrinking for phones: prefixes of longer digit runs (card numbers) would look like phones.
    {DetectorKind::kPhone, R"((?:\+\d|\(\d|\b\d)[\d\-. ()]{5,22}\d\b)", phone_valid, false},
    {DetectorKind::kNationalId, R"(\b\d{3}[\- ]\d{2}[\- ]\d{4}\b)", ssn_valid, false},
    {DetectorKind::kIpAddress, R"(\b(?:\d{1,3}\.){3}\d{1,3}\b)", ip_address_valid, false},
    {DetectorKind::kIpAddress, R"((?i)(?:[0-9a-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9a-f]{1,4})?)",
     ip_address_valid, false},
};

constexpr std::pair<std::string_view, DetectorKind> kNames[] = {
    {"email", DetectorKind::kEmail},         {"payment_card", DetectorKind::kPaymentCard},
    {"iban", DetectorKind::kIban},           {"phone", DetectorKind::kPhone},
    {"national_id", DetectorKind::kNationalId}, {"ip_address", DetectorKind::kIpAddress},
};

bool is_separator(char c) { return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')'; }

}  // namespace

struct Detectors::Compiled {
  struct Entry {
    std::size_t detector;
    std::unique_ptr<RE2> re;
    Validator validate;
    bool shrink;
  };
  std::vector<Entry> entries;  // index = pattern index in the set
  std::unique_ptr<RE2::Set> set;
};

std::expected<DetectorKind, std::string> parse_detector_kind(std::string_view name) {
  for (const auto& [n, kind] : kNames)
    if (n == name) return kind;
  return std::unexpected(fmt::format("unknown detector '{}' (expected email, payment_card, iban, phone, "
                                     "national_id, ip_address or {{pattern: RE2, name: NAME}})",
                                     name));
}

std::string_view to_string(DetectorKind kind) {
  for (const auto& [n, k] : kNames)
    if (k == kind) return n;
  return "custom";
}

bool Detectors::has(DetectorKind kind) const {
  return std::any_of(specs_.begin(), specs_.end(), [&](const DetectorSpec& s) { return s.kind == kind; });
}

std::expected<Detectors, std::string> Detectors::compile(std::vector<DetectorSpec> specs) {
  RE2::Options options;
  options.set_log_errors(false);
  auto compiled = std::make_shared<Compiled>();
  compiled->set = std::make_unique<RE2::Set>(options, RE2::UNANCHORED);
  auto add = [&](std::size_t detector, const std::string& pattern, Validator validate,
                 bool shrink) -> std::expected<void, std::string> {
    auto re = std::make_unique<RE2>(pattern, options);
    if (!re->ok()) return std::unexpected(fmt::format("invalid pattern for detector '{}': {}", specs[detector].name, re->error()));
    std::string error;
    if (compiled->set->Add(pattern, &error) < 0)
      return std::unexpected(fmt::format("invalid pattern for detector '{}': {}", specs[detector].name, error));
    compiled->entries.push_back({detector, std::move(re), validate, shrink});
    return {};
  };
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (specs[i].kind == DetectorKind::kCustom) {
      if (auto r = add(i, specs[i].pattern, nullptr, false); !r) return std::unexpected(r.error());
      continue;
    }
    for (const BuiltinPattern& b : kBuiltins)
      if (b.kind == specs[i].kind)
        if (auto r = add(i, b.pattern, b.validate, b.shrink); !r) return std::unexpected(r.error());
  }
  if (!compiled->entries.empty() && !compiled->set->Compile())
    return std::unexpected(std::string("detector patterns too large to compile together (RE2 memory budget)"));
  Detectors d;
  d.builtin_only_ = std::none_of(specs.begin(), specs.end(), [](const DetectorSpec& s) { return s.kind == DetectorKind::kCustom; });
  for (const DetectorSpec& s : specs) d.enabled_ |= detector_bit(s.kind);
  d.specs_ = std::move(specs);
  d.compiled_ = std::move(compiled);
  return d;
}

namespace {

// Every validated span of one pattern, left to right. `kind` (a detector_bit(), or 0 for none):
// before each search after the first, the prefilter is asked whether the rest of the text can
// still hold a match of that kind; most values hold one e-mail or phone number, and the search
// that would find nothing after it costs more than the prefilter. Asking it about the rest alone
// is sound: a match inside the rest lies in it whole, and the prefilter counts the rest's start
// as a word boundary, so it can only say "possible" more often than for the rest in context.
template <class Entry>
void scan_entry(const Entry& e, std::string_view text, std::vector<Span>& spans, std::uint32_t kind = 0) {
  std::size_t pos = 0;
  re2::StringPiece m;
  while (pos <= text.size() && (pos == 0 || kind == 0 || (possible_detectors(text.substr(pos)) & kind) != 0) &&
         e.re->Match(text, pos, text.size(), RE2::UNANCHORED, &m, 1)) {
    const auto begin = static_cast<std::size_t>(m.data() - text.data());
    const std::size_t candidate_end = begin + m.size();
    std::size_t end = candidate_end;
    bool ok = e.validate == nullptr || e.validate(text.substr(begin, end - begin));
    // A greedy pattern can swallow a following group ("4111 1111 1111 1111 2024"): retry the
    // prefixes that end before a separator, longest first.
    for (std::size_t cut = end; !ok && e.shrink && cut > begin + 1; --cut) {
      if (!is_separator(text[cut - 1]) || is_separator(text[cut - 2])) continue;
      end = cut - 1;
      ok = e.validate(text.substr(begin, end - begin));
    }
    if (ok && end > begin) {
      spans.push_back({begin, end, e.detector});
      pos = end;
    } else {
      // Skip the failed candidate whole: restarting inside it would find phone-shaped
      // fragments of longer digit runs (the tail of a Luhn-invalid card number).
      pos = std::max(candidate_end, begin + 1);
    }
  }
}

// Text order; overlaps (a 15-digit card is also phone-shaped) collapse into one masked range.
// Ties go to the detector listed first, whichever path found the spans.
void sort_and_merge(std::vector<Span>& spans) {
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
    if (a.begin != b.begin) return a.begin < b.begin;
    return a.end != b.end ? a.end > b.end : a.detector < b.detector;
  });
  std::size_t kept = 0;
  for (const Span& s : spans) {
    if (kept > 0 && s.begin < spans[kept - 1].end) {
      spans[kept - 1].end = std::max(spans[kept - 1].end, s.end);
      continue;
    }
    spans[kept++] = s;
  }
  spans.resize(kept);
}

}  // namespace

std::uint32_t Detectors::candidates(std::string_view text) const {
  if (!compiled_ || compiled_->entries.empty()) return 0;
  return builtin_only_ ? possible_detectors(text) & enabled_ : ~std::uint32_t{0};
}

void Detectors::find(std::string_view text, std::uint32_t candidates, std::vector<Span>& spans) const {
  spans.clear();
  if (candidates == 0) return;
  const auto& entries = compiled_->entries;
  if (builtin_only_) {
    if (std::popcount(candidates) <= 2) {
      // One or two kinds left (the usual case when any is): their own regexes find exactly the
      // spans the Set's hits would lead to, without the Set's two passes over the value.
      for (const auto& e : entries)
        if (const std::uint32_t kind = detector_bit(specs_[e.detector].kind); candidates & kind)
          scan_entry(e, text, spans, kind);
      sort_and_merge(spans);
      return;
    }
  }
  // First pass without the index vector: RE2::Set allocates its match set only when asked for
  // indices, and most values hold no personal data.
  if (!compiled_->set->Match(text, nullptr)) return;
  std::vector<int> hits;
  if (!compiled_->set->Match(text, &hits)) return;
  std::sort(hits.begin(), hits.end());  // pattern order, as in the direct path above
  for (int index : hits) scan_entry(entries[static_cast<std::size_t>(index)], text, spans);
  sort_and_merge(spans);
}

}  // namespace masking
