#include "masking/mask_yaml.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <re2/re2.h>

namespace masking::yaml_detail {
namespace {

constexpr std::string_view kMaskNames[] = {"redact", "null", "partial", "email", "hash", "tokenize", "replace", "generalize"};

constexpr std::pair<std::string_view, std::string_view> kAlphabets[] = {
    {"hex", "0123456789abcdef"},
    {"digits", "0123456789"},
    {"base32", "abcdefghijklmnopqrstuvwxyz234567"},
    {"base62", "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"},
    {"letters", "abcdefghijklmnopqrstuvwxyz"},
};

std::optional<Mask> read_partial(Problems& p, const Entry& e) {
  auto fields = map_entries(p, e, {"keep_first", "keep_last", "fill"});
  if (!fields) return std::nullopt;
  PartialMask m;
  bool ok = true;
  if (const Entry* f = find(*fields, "keep_first")) {
    auto v = read_integer(p, *f, 0, 1000);
    ok = ok && v;
    if (v) m.keep_first = static_cast<std::uint32_t>(*v);
  }
  if (const Entry* f = find(*fields, "keep_last")) {
    auto v = read_integer(p, *f, 0, 1000);
    ok = ok && v;
    if (v) m.keep_last = static_cast<std::uint32_t>(*v);
  }
  if (const Entry* f = find(*fields, "fill")) {
    auto v = read_string(p, *f, true);
    ok = ok && v;
    if (v) m.fill = *v;
  }
  if (!ok) return std::nullopt;
  return Mask{m};
}

std::optional<Mask> read_email(Problems& p, const Entry& e) {
  auto fields = map_entries(p, e, {"keep"});
  if (!fields) return std::nullopt;
  EmailMask m;
  if (const Entry* f = find(*fields, "keep")) {
    auto v = read_choice(p, *f, {"domain", "first_letter"});
    if (!v) return std::nullopt;
    m.keep = *v == "domain" ? EmailMask::Keep::kDomain : EmailMask::Keep::kFirstLetter;
  }
  return Mask{m};
}

std::optional<Mask> read_hash(Problems& p, const Entry& e) {
  auto fields = map_entries(p, e, {"length", "alphabet"});
  if (!fields) return std::nullopt;
  HashMask m;
  bool ok = true;
  if (const Entry* f = find(*fields, "length")) {
    auto v = read_integer(p, *f, 4, 128);  // below 4 characters pseudonyms collide too often
    ok = ok && v;
    if (v) m.length = static_cast<std::uint32_t>(*v);
  }
  if (const Entry* f = find(*fields, "alphabet")) {
    auto v = read_string(p, *f);
    if (!v) return std::nullopt;
    const auto named = std::find_if(std::begin(kAlphabets), std::end(kAlphabets), [&](auto& a) { return a.first == *v; });
    if (named != std::end(kAlphabets)) {
      m.alphabet = named->second;
    } else {
      const std::set<char> unique(v->begin(), v->end());
      const bool printable = std::all_of(v->begin(), v->end(), [](char c) { return c > ' ' && c < 0x7F; });
      if (unique.size() != v->size() || v->size() < 2 || v->size() > 256 || !printable) {
        p.error(*f, fmt::format("{}: '{}' is neither hex, digits, base32, base62, letters nor a string of at "
                                "least 2 distinct printable ASCII characters",
                                f->path, *v));
        return std::nullopt;
      }
      m.alphabet = *v;
    }
  }
  if (!ok) return std::nullopt;
  return Mask{m};
}

std::optional<Mask> read_replace(Problems& p, const Entry& e) {
  auto fields = map_entries(p, e, {"pattern", "replacement"});
  if (!fields) return std::nullopt;
  const Entry* pattern = find(*fields, "pattern");
  const Entry* replacement = find(*fields, "replacement");
  if (pattern == nullptr || replacement == nullptr) {
    p.error(e, fmt::format("{}: needs both pattern and replacement", e.path));
    return std::nullopt;
  }
  auto re = read_regex(p, *pattern);
  auto text = read_string(p, *replacement, true);
  if (!re || !text) return std::nullopt;
  std::string error;
  if (!re->CheckRewriteString(*text, &error)) {
    p.error(*replacement, fmt::format("{}: {}", replacement->path, error));
    return std::nullopt;
  }
  return Mask{ReplaceMask{re, *text}};
}

std::optional<Mask> read_generalize(Problems& p, const Entry& e) {
  auto fields = map_entries(p, e, {"date", "number"});
  if (!fields) return std::nullopt;
  GeneralizeMask m;
  bool ok = true;
  if (const Entry* f = find(*fields, "date")) {
    auto v = read_choice(p, *f, {"year", "month"});
    ok = ok && v;
    if (v) m.date = *v == "year" ? GeneralizeMask::Date::kYear : GeneralizeMask::Date::kMonth;
  }
  if (const Entry* f = find(*fields, "number")) {
    auto v = read_integer(p, *f, 2, 1'000'000'000'000);
    ok = ok && v;
    if (v) m.number_width = *v;
  }
  if (!ok) return std::nullopt;
  return Mask{m};
}

std::optional<Mask> read_named(Problems& p, const Entry& e, std::string_view name) {
  const bool bare = is_null(e.value);  // `hash` written alone, or `{hash: }`: defaults
  if (name == "redact") {
    if (bare) return Mask{RedactMask{}};
    if (e.value.IsScalar()) return Mask{RedactMask{e.value.Scalar()}};
    auto fields = map_entries(p, e, {"text"});
    if (!fields) return std::nullopt;
    RedactMask m;
    if (const Entry* f = find(*fields, "text")) {
      auto v = read_string(p, *f, true);
      if (!v) return std::nullopt;
      m.text = *v;
    }
    return Mask{m};
  }
  if (name == "null") return Mask{NullMask{}};
  if (name == "tokenize") return Mask{TokenizeMask{}};
  if (name == "partial") return read_partial(p, e);
  if (name == "email") return read_email(p, e);
  if (name == "hash") return read_hash(p, e);
  if (name == "replace") return read_replace(p, e);
  return read_generalize(p, e);
}

}  // namespace

std::optional<Mask> read_mask(Problems& p, const Entry& e) {
  const std::string expected = "redact, null, partial, email, hash, tokenize, replace or generalize";
  if (is_null(e.value)) {
    // `mask: null` (the null mask) and `mask:` (forgotten) both parse as null; only a null written
    // on the key's own line counts as the former.
    if (e.value.IsDefined() && e.value.Mark().line == e.key.Mark().line && e.value.Mark().column > e.key.Mark().column)
      return Mask{NullMask{}};
    p.error(e, fmt::format("{}: needs a mask ({})", e.path, expected));
    return std::nullopt;
  }
  if (e.value.IsScalar()) {
    const std::string& name = e.value.Scalar();
    if (std::find(std::begin(kMaskNames), std::end(kMaskNames), name) == std::end(kMaskNames)) {
      p.error(e, fmt::format("{}: unknown mask '{}' (expected {})", e.path, name, expected));
      return std::nullopt;
    }
    if (name == "partial" || name == "replace") {
      p.error(e, fmt::format("{}: {} needs parameters ({})", e.path, name,
                             name == "partial" ? "{partial: {keep_first: N, keep_last: N, fill: '*'}}"
                                               : "{replace: {pattern: RE2, replacement: TEXT}}"));
      return std::nullopt;
    }
    return read_named(p, Entry{e.path, e.value, YAML::Node()}, name);
  }
  if (!e.value.IsMap() || e.value.size() != 1) {
    p.error(e, fmt::format("{}: expected one mask ({}), as a name or a map with one key", e.path, expected));
    return std::nullopt;
  }
  const auto it = e.value.begin();
  const std::string name = it->first.Scalar();
  if (std::find(std::begin(kMaskNames), std::end(kMaskNames), name) == std::end(kMaskNames)) {
    p.error_at(it->first, fmt::format("{}: unknown mask '{}' (expected {})", e.path, name, expected));
    return std::nullopt;
  }
  return read_named(p, Entry{fmt::format("{}.{}", e.path, name), it->first, it->second}, name);
}

}  // namespace masking::yaml_detail
