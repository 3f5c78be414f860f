// Which built-in detectors could report a span in a value, from one pass over its bytes.
//
// Most text values that hold digits are still no personal data ("ORD-00001234", "order 12
// shipped, tracking 3f9a..."): before this, each of them cost an RE2::Set scan and often a
// second pass for the spans. Each condition below is NECESSARY for its detector (implied by its
// pattern and its checks in detector_checks.cc), never sufficient: a kind that may match still
// goes through the regexes and checksums, so detection results are exactly those without the
// prefilter. Only what can be proven impossible is skipped.
#pragma once

#include <cstdint>
#include <string_view>

#include "masking/detectors.h"

namespace masking {

constexpr std::uint32_t detector_bit(DetectorKind kind) { return 1u << static_cast<unsigned>(kind); }

// A set of detector_bit()s: the built-in kinds that may find a span in `text`.
//  email         an '@'
//  payment_card  13+ digits chained by at most one ' ' or '-' between two digits
//  iban          two ASCII letters at a word start followed by two digits, starting a run of
//                ASCII letter-and-digit words joined by single spaces that, cut at one of its word
//                ends, passes iban_valid's length and mod-97 checks (any non-ASCII byte:
//                possible, since (?i)[a-z] also matches the Kelvin sign and the long s)
//  phone         a run of [0-9 .()+-] with 7+ digits that has a '+' or '(', two digit groups,
//                or a group of 10+ digits (phone_valid's three shapes)
//  national_id   digit groups of 3+, exactly 2 and 4+ joined by single ' ' or '-'
//  ip_address    four digit groups joined by single '.' (IPv4), or two ':' (IPv6)
// A digit group that touches a letter or '_' ("3f9a81c2", "ORD8812") counts for none of the
// digit conditions: no card, phone, id or IPv4 candidate can contain it (detector_prefilter.cc).
std::uint32_t possible_detectors(std::string_view text);

}  // namespace masking
