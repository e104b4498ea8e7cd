// pki.hpp: a test PKI generated at run time with OpenSSL's C API.
//
// No private key is ever committed: tests and benchmarks mint their roots,
// intermediates, leaves and CRLs in memory, each with exactly the defect a
// case needs (a NUL inside a SAN, an expired intermediate, a leaf that signs
// other leaves...), which the openssl CLI cannot always express.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <openssl/evp.h>
#include <openssl/x509.h>

namespace s2s::testpki {

struct KeyFree { void operator()(EVP_PKEY *k) const { EVP_PKEY_free(k); } };
struct CertFree { void operator()(X509 *c) const { X509_free(c); } };
struct CrlFree { void operator()(X509_CRL *c) const { X509_CRL_free(c); } };
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;
using CertPtr = std::unique_ptr<X509, CertFree>;
using CrlPtr = std::unique_ptr<X509_CRL, CrlFree>;

enum class KeyType { kP256, kRsa2048 };

KeyPtr make_key(KeyType type = KeyType::kP256);

enum class Basic { kNone, kCa, kNotCa };

struct CertSpec {
    std::string cn = "leaf";
    std::string org;                  // O=, optional
    long not_before = -3600;          // seconds from now
    long not_after = 30L * 86400;     // seconds from now
    Basic basic = Basic::kNone;
    std::string key_usage;            // X509v3 config text, "" for none
    std::string ext_key_usage;        // e.g. "clientAuth", "" for none
    std::vector<std::string> uris;    // raw bytes, may contain NUL
    std::vector<std::string> dns;     // raw bytes, may contain NUL
    std::vector<std::string> emails;  // rfc822Name SANs
    long serial = 0;                  // 0: random
};

// A CA spec: CA:TRUE, keyCertSign + cRLSign.
CertSpec ca_spec(const std::string &cn);
// A client leaf spec: CA:FALSE, digitalSignature, clientAuth, optional SPIFFE ID.
CertSpec leaf_spec(const std::string &cn, const std::string &spiffe_id = "");

// Issues a certificate for `key`; issuer == nullptr makes it self-signed.
CertPtr make_cert(const CertSpec &spec, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key);

// A CRL by `issuer` listing `revoked` serials.
CrlPtr make_crl(X509 *issuer, EVP_PKEY *issuer_key, const std::vector<long> &revoked,
                long last_update = -3600, long next_update = 7L * 86400);

std::string pem_of(X509 *cert);
std::string pem_of(X509_CRL *crl);
std::string der_of(X509 *cert);

// A fresh private directory under $TMPDIR (or /tmp); removed by remove_dir.
std::string make_temp_dir();
void remove_dir(const std::string &dir);
// Writes a file, aborting the test run if it cannot.
void write_file(const std::string &path, const std::string &content);

}  // namespace s2s::testpki
