#include "audit/chain.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

#include <stdexcept>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "audit/json_out.h"

namespace audit {
namespace {

constexpr std::string_view kMacOpen = ",\"mac\":\"";
constexpr std::size_t kMacHexDigits = 64;

std::expected<ChainKey, std::string> checked(std::string bytes, std::string_view origin) {
  while (!bytes.empty() && (bytes.back() == '\n' || bytes.back() == '\r' || bytes.back() == ' ' || bytes.back() == '\t')) {
    bytes.pop_back();
  }
  if (bytes.size() < ChainKey::kMinBytes) {
    return std::unexpected(fmt::format("audit chain key from {} is shorter than {} bytes (generate one with "
                                       "`openssl rand -hex 32`)",
                                       origin, ChainKey::kMinBytes));
  }
  return ChainKey::from_bytes(std::move(bytes));
}

}  // namespace

std::expected<ChainKey, std::string> ChainKey::from_bytes(std::string bytes) {
  if (bytes.size() < kMinBytes) return std::unexpected(fmt::format("audit chain key is shorter than {} bytes", kMinBytes));
  return ChainKey(std::move(bytes));
}

std::expected<ChainKey, std::string> ChainKey::from_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected(fmt::format("cannot read audit chain key file {}", path.string()));
  std::ostringstream content;
  content << in.rdbuf();
  return checked(std::move(content).str(), path.string());
}

std::expected<ChainKey, std::string> ChainKey::from_env(const std::string& variable) {
  const char* value = std::getenv(variable.c_str());
  if (value == nullptr) return std::unexpected(fmt::format("environment variable {} (audit chain key) is not set", variable));
  return checked(value, "$" + variable);
}

std::string ChainKey::mac_hex(std::string_view data) const {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // HMAC() with SHA-256 cannot fail for in-memory input except on allocation failure.
  if (HMAC(EVP_sha256(), bytes_.data(), static_cast<int>(bytes_.size()), reinterpret_cast<const unsigned char*>(data.data()),
           data.size(), out, &len) == nullptr) {
    throw std::bad_alloc();
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(len * 2, '0');
  for (unsigned i = 0; i < len; ++i) {
    hex[2 * i] = kHex[out[i] >> 4];
    hex[2 * i + 1] = kHex[out[i] & 15];
  }
  return hex;
}

void ChainMac::Free::operator()(void* ctx) const { EVP_MAC_CTX_free(static_cast<EVP_MAC_CTX*>(ctx)); }

ChainMac::ChainMac(const ChainKey& key) {
  EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* ctx = hmac != nullptr ? EVP_MAC_CTX_new(hmac) : nullptr;
  EVP_MAC_free(hmac);  // the context keeps its own reference
  if (ctx == nullptr) throw std::bad_alloc();
  ctx_.reset(ctx);
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0), OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(key.bytes_.data()), key.bytes_.size(), params) != 1) {
    throw std::runtime_error("HMAC-SHA-256 is not available from OpenSSL");
  }
}

void ChainMac::append_hex(std::string& out, std::string_view data) {
  auto* ctx = static_cast<EVP_MAC_CTX*>(ctx_.get());
  unsigned char digest[EVP_MAX_MD_SIZE];
  std::size_t len = 0;
  // A null key re-initializes with the key already set, from its precomputed state (OpenSSL 3,
  // EVP_MAC_init(3)); with SHA-256 in memory nothing here fails but allocation.
  if (EVP_MAC_init(ctx, nullptr, 0, nullptr) != 1 ||
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1 ||
      EVP_MAC_final(ctx, digest, &len, sizeof digest) != 1) {
    throw std::bad_alloc();
  }
  static constexpr char kHex[] = "0123456789abcdef";
  char hex[2 * EVP_MAX_MD_SIZE];
  for (std::size_t i = 0; i < len; ++i) {
    hex[2 * i] = kHex[digest[i] >> 4];
    hex[2 * i + 1] = kHex[digest[i] & 15];
  }
  out.append(hex, 2 * len);  // one append: per-character += showed in the profile
}

std::string ChainMac::hex(std::string_view data) {
  std::string out;
  out.reserve(kHexDigits);
  append_hex(out, data);
  return out;
}

void append_record(ChainMac& mac, std::string& out, std::uint64_t seq, std::string_view prev, std::string_view body,
                   const std::optional<std::string>& prev_file, std::string& next_prev) {
  const std::size_t start = out.size();
  out += "{\"seq\":";
  json_out::integer(out, seq);
  out += ",\"prev\":\"";
  out += prev;
  out += '"';
  if (prev_file) {
    json_out::key(out, "prev_file");
    json_out::string(out, *prev_file);
  }
  // body is "{...}": splice its members after ours.
  const auto open = body.find('{');
  const auto rest = open == std::string_view::npos ? std::string_view("}") : body.substr(open + 1);
  if (!rest.empty() && rest.front() != '}') out += ',';
  out += rest.substr(0, rest.empty() ? 0 : rest.size() - 1);  // without the closing brace
  const std::size_t mac_at = out.size();
  out += kMacOpen;
  // append_hex reads all of its input before it appends, so a view into `out` stays valid.
  mac.append_hex(out, std::string_view(out).substr(start, mac_at - start));
  out += "\"}";
  next_prev.clear();
  mac.append_hex(next_prev, std::string_view(out).substr(start));
}

std::string make_record(const ChainKey& key, const ChainPosition& at, std::string_view body,
                        const std::optional<std::string>& prev_file) {
  ChainMac mac(key);
  std::string line, next_prev;
  append_record(mac, line, at.last_seq + 1, mac.hex(at.last_line), body, prev_file, next_prev);
  return line;
}

bool record_mac_ok(const ChainKey& key, std::string_view line) {
  constexpr std::size_t kSuffix = kMacOpen.size() + kMacHexDigits + 2;
  if (line.size() < kSuffix || !line.ends_with("\"}")) return false;
  const std::size_t at = line.size() - kSuffix;
  if (line.substr(at, kMacOpen.size()) != kMacOpen) return false;
  return key.mac_hex(line.substr(0, at)) == line.substr(at + kMacOpen.size(), kMacHexDigits);
}

std::optional<RecordHead> parse_record_head(std::string_view line) {
  const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  const auto seq = j.find("seq");
  const auto prev = j.find("prev");
  if (seq == j.end() || !seq->is_number_unsigned() || prev == j.end() || !prev->is_string()) return std::nullopt;
  RecordHead head;
  head.seq = seq->get<std::uint64_t>();
  head.prev = prev->get<std::string>();
  if (const auto f = j.find("prev_file"); f != j.end() && f->is_string()) head.prev_file = f->get<std::string>();
  if (const auto t = j.find("time"); t != j.end() && t->is_string()) head.time = t->get<std::string>();
  return head;
}

}  // namespace audit
