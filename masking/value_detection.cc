#include "masking/value_detection.h"

#include <vector>

#include "masking/structured_text.h"

namespace masking {
namespace {

// Spans of a plain string, replaced in place. `xml` escapes the replacements (the rest of the
// value is already valid xml). Returns false when nothing was found.
bool replace_spans(const Profile& profile, std::string_view in, bool xml, std::string& out, std::size_t& detections) {
  const std::uint32_t candidates = profile.detectors.candidates(in);
  if (candidates == 0) return false;  // most values: no span list to build
  std::vector<Span> spans;
  profile.detectors.find(in, candidates, spans);
  if (spans.empty()) return false;
  std::size_t pos = 0;
  std::string replacement;
  for (const Span& s : spans) {
    out.append(in.substr(pos, s.begin - pos));
    replacement.clear();
    mask_string(profile.values_mask, profile.key, in.substr(s.begin, s.end - s.begin), replacement);
    if (xml) append_xml_escaped(out, replacement);
    else out.append(replacement);
    pos = s.end;
  }
  out.append(in.substr(pos));
  detections += spans.size();
  return true;
}


}  // namespace

DetectOutcome detect_and_mask(const Profile& profile, const ValueType& type, std::string_view in, std::string& out,
                              std::size_t& detections) {
  if (profile.detectors.empty()) return DetectOutcome::kUnchanged;
  const bool null_mask = std::holds_alternative<NullMask>(profile.values_mask.spec);
  const std::size_t mark = out.size();
  const std::size_t before = detections;
  const TypeClass cls = type.cls();
  switch (cls) {
    case TypeClass::kJson:
    case TypeClass::kJsonb: {
      const bool ok = map_json_leaves(
          in, [&](std::string_view leaf, JsonToken, std::string& r) { return replace_spans(profile, leaf, false, r, detections); },
          out);
      if (!ok) {
        out.resize(mark);
        return DetectOutcome::kNull;  // unparseable: cannot scan it reliably, hide it
      }
      break;
    }
    case TypeClass::kTextArray: {
      const ValueType element{array_element_oid(type.oid), -1};
      const bool ok = map_array_elements(
          in,
          [&](std::string_view e, std::string& r) {
            switch (detect_and_mask(profile, element, e, r, detections)) {
              case DetectOutcome::kUnchanged: return ElementResult::kKeep;
              case DetectOutcome::kValue: return ElementResult::kReplaced;
              case DetectOutcome::kNull: break;
            }
            return ElementResult::kNull;
          },
          out);
      if (!ok) {
        out.resize(mark);
        return DetectOutcome::kNull;
      }
      break;
    }
    case TypeClass::kInet:
    case TypeClass::kCidr: {
      // A hit means the whole address is the personal data; the mask must keep the type.
      std::vector<Span> spans;
      profile.detectors.find(in, spans);
      if (spans.empty()) return DetectOutcome::kUnchanged;
      ++detections;
      return apply_mask(profile.values_mask, profile.key, type, in, out) == MaskOutcome::kValue ? DetectOutcome::kValue
                                                                                                : DetectOutcome::kNull;
    }
    default:
      if (!replace_spans(profile, in, cls == TypeClass::kXml, out, detections)) return DetectOutcome::kUnchanged;
  }
  if (detections == before) {  // structured value without hits: keep the original bytes
    out.resize(mark);
    return DetectOutcome::kUnchanged;
  }
  if (null_mask) {
    out.resize(mark);
    return DetectOutcome::kNull;
  }
  return DetectOutcome::kValue;
}

std::size_t mask_free_text(const Profile& profile, std::string_view in, std::string& out) {
  std::size_t detections = 0;
  if (!replace_spans(profile, in, false, out, detections)) out.append(in);
  return detections;
}

}  // namespace masking
