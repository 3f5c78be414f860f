// Value detectors: find personal data inside free text (issue #4, "values: detect").
//
// Every pattern (built-in and custom) is compiled into one RE2::Set, so a value that holds no
// personal data (the common case) is scanned once. Only on a Set hit are the matching detectors'
// own regexes run to find the spans, and checksums validate them (Luhn for cards, mod-97 for
// IBANs, area rules for SSNs), so near misses (order numbers, dates, versions) stay readable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace re2 {
class RE2;
}

namespace masking {

enum class DetectorKind : std::uint8_t {
  kEmail,
  kPaymentCard,
  kIban,
  kPhone,
  kNationalId,  // US SSN
  kIpAddress,   // IPv4 and IPv6
  kCustom,
};

// "email", "payment_card", "iban", "phone", "national_id", "ip_address".
std::expected<DetectorKind, std::string> parse_detector_kind(std::string_view name);
std::string_view to_string(DetectorKind kind);

struct DetectorSpec {
  DetectorKind kind = DetectorKind::kCustom;
  std::string name;     // built-in name or the custom `name:`
  std::string pattern;  // custom only (RE2 syntax)
};

struct Span {
  std::size_t begin = 0, end = 0;  // byte offsets into the scanned text
  std::size_t detector = 0;        // index into the specs
};

class Detectors {
 public:
  // Compiles every pattern; the error names the detector and RE2's message.
  static std::expected<Detectors, std::string> compile(std::vector<DetectorSpec> specs);

  bool empty() const { return specs_.empty(); }
  const std::vector<DetectorSpec>& specs() const { return specs_; }
  bool has(DetectorKind kind) const;

  // Validated, non-overlapping spans in text order. `spans` is cleared first.
  void find(std::string_view text, std::vector<Span>& spans) const { find(text, candidates(text), spans); }
  // The detector_bit()s of the kinds that may find a span in `text` (detector_prefilter.h), every
  // bit when custom patterns turn the prefilter off; 0: find() would report nothing. Callers ask
  // first to skip the span bookkeeping for the common value without personal data.
  std::uint32_t candidates(std::string_view text) const;
  // find() given candidates(text).
  void find(std::string_view text, std::uint32_t candidates, std::vector<Span>& spans) const;

 private:
  struct Compiled;
  std::vector<DetectorSpec> specs_;
  std::shared_ptr<const Compiled> compiled_;
  bool builtin_only_ = true;  // enables the prefilter (detector_prefilter.h) in find()
  std::uint32_t enabled_ = 0;  // detector_bit() of every kind in specs_
};

// Checksums and shape rules, exposed for tests.
bool luhn_valid(std::string_view digits);
bool iban_valid(std::string_view candidate);    // spaces allowed
bool payment_card_valid(std::string_view candidate);  // separators allowed
bool phone_valid(std::string_view candidate);
bool ssn_valid(std::string_view candidate);
bool ip_address_valid(std::string_view candidate);

}  // namespace masking
