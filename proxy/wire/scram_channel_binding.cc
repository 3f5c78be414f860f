// tls-server-end-point channel binding data (RFC 5929 section 4.1), as PostgreSQL computes it in
// be_tls_get_certificate_hash() / pgtls_get_peer_certificate_hash(). This is pure computation on
// DER bytes; the networking layer fetches the certificate from its SSL object.
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <memory>

#include "proxy/wire/scram.h"

namespace pgwire::scram {

std::expected<std::string, std::string> tls_server_end_point(std::span<const std::uint8_t> cert_der) {
  if (cert_der.empty()) return std::unexpected("no certificate for channel binding");
  const unsigned char* p = cert_der.data();
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      d2i_X509(nullptr, &p, static_cast<long>(cert_der.size())), &X509_free);
  if (!cert) return std::unexpected("channel binding: not a DER X.509 certificate");
  if (p != cert_der.data() + cert_der.size()) {
    return std::unexpected("channel binding: trailing bytes after the DER certificate");
  }
  // X509_get_signature_info also resolves RSA-PSS to its actual hash, which the plain
  // signature-NID lookup cannot.
  int md_nid = NID_undef;
  if (X509_get_signature_info(cert.get(), &md_nid, nullptr, nullptr, nullptr) != 1 ||
      md_nid == NID_undef) {
    return std::unexpected(
        "channel binding: the certificate's signature algorithm has no separate hash (e.g. Ed25519); "
        "tls-server-end-point is undefined for it");
  }
  // RFC 5929 4.1: "if the certificate's signatureAlgorithm uses a single hash function and that
  // hash function is either MD5 or SHA-1, then use SHA-256".
  const EVP_MD* md = (md_nid == NID_md5 || md_nid == NID_sha1) ? EVP_sha256() : EVP_get_digestbynid(md_nid);
  if (md == nullptr) return std::unexpected("channel binding: unsupported certificate signature hash");
  unsigned char hash[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // Hash the DER as received: that is the certificate's encoding the RFC refers to.
  if (EVP_Digest(cert_der.data(), cert_der.size(), hash, &len, md, nullptr) != 1) {
    return std::unexpected("channel binding: hashing the certificate failed");
  }
  return std::string(reinterpret_cast<const char*>(hash), len);
}

}  // namespace pgwire::scram
