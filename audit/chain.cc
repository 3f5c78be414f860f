#include "audit/chain.h"

// ChainMac hashes with SHA256_Init/Update/Final, deprecated in OpenSSL 3 in favour of EVP but
// still part of its API: copying a SHA256_CTX is a plain struct copy, where EVP_MD_CTX_copy_ex
// and EVP_MAC_init go through the provider layer and allocate on every MAC.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <array>
#include <cstring>

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

struct ChainMac::Pads {
  SHA256_CTX inner;   // key ^ ipad absorbed
  SHA256_CTX outer;   // key ^ opad absorbed
};

void ChainMac::Free::operator()(Pads* pads) const {
  OPENSSL_cleanse(pads, sizeof *pads);
  delete pads;
}

namespace {

using Digest = std::array<unsigned char, SHA256_DIGEST_LENGTH>;

// RFC 2104: HMAC = H((K ^ opad) || H((K ^ ipad) || m)), with `inner` holding H's state after
// (K ^ ipad) || m.
Digest finish(SHA256_CTX inner, const SHA256_CTX& outer_pad) {
  Digest inner_digest, digest;
  SHA256_Final(inner_digest.data(), &inner);
  SHA256_CTX outer = outer_pad;
  SHA256_Update(&outer, inner_digest.data(), inner_digest.size());
  SHA256_Final(digest.data(), &outer);
  return digest;
}

void append_digest_hex(std::string& out, const Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  char hex[2 * SHA256_DIGEST_LENGTH];
  for (std::size_t i = 0; i < digest.size(); ++i) {
    hex[2 * i] = kHex[digest[i] >> 4];
    hex[2 * i + 1] = kHex[digest[i] & 15];
  }
  out.append(hex, sizeof hex);  // one append: per-character += showed in the profile
}

}  // namespace

ChainMac::ChainMac(const ChainKey& key) : pads_(new Pads) {
  constexpr std::size_t kBlock = SHA256_CBLOCK;
  std::array<unsigned char, kBlock> block{};
  if (key.bytes_.size() > kBlock) {
    SHA256(reinterpret_cast<const unsigned char*>(key.bytes_.data()), key.bytes_.size(), block.data());
  } else {
    std::memcpy(block.data(), key.bytes_.data(), key.bytes_.size());
  }
  std::array<unsigned char, kBlock> pad;
  for (std::size_t i = 0; i < kBlock; ++i) pad[i] = block[i] ^ 0x36;
  SHA256_Init(&pads_->inner);
  SHA256_Update(&pads_->inner, pad.data(), pad.size());
  for (std::size_t i = 0; i < kBlock; ++i) pad[i] = block[i] ^ 0x5c;
  SHA256_Init(&pads_->outer);
  SHA256_Update(&pads_->outer, pad.data(), pad.size());
  OPENSSL_cleanse(block.data(), block.size());
  OPENSSL_cleanse(pad.data(), pad.size());
}

void ChainMac::append_hex(std::string& out, std::string_view data) {
  SHA256_CTX inner = pads_->inner;
  SHA256_Update(&inner, data.data(), data.size());
  append_digest_hex(out, finish(inner, pads_->outer));
}

void ChainMac::seal(std::string& out, std::size_t start, std::string_view open, std::string_view close,
                    std::string& whole_hex) {
  SHA256_CTX inner = pads_->inner;
  SHA256_Update(&inner, out.data() + start, out.size() - start);
  const std::size_t sealed_from = out.size();
  out += open;
  append_digest_hex(out, finish(inner, pads_->outer));
  out += close;
  SHA256_Update(&inner, out.data() + sealed_from, out.size() - sealed_from);
  whole_hex.clear();
  append_digest_hex(whole_hex, finish(inner, pads_->outer));
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
  mac.seal(out, start, kMacOpen, "\"}", next_prev);
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
