// pki.cpp: building the run-time test PKI (see pki.hpp).
#include "pki.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

namespace s2s::testpki {
namespace {

[[noreturn]] void die(const char *what) {
    std::fprintf(stderr, "test pki: %s\n", what);
    ERR_print_errors_fp(stderr);
    std::abort();
}

void add_ext(X509 *cert, X509 *issuer, int nid, const std::string &value) {
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer != nullptr ? issuer : cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (ext == nullptr || X509_add_ext(cert, ext, -1) != 1) die("cannot add extension");
    X509_EXTENSION_free(ext);
}

void add_name(GENERAL_NAMES *names, int type, const std::string &value) {
    ASN1_IA5STRING *s = ASN1_IA5STRING_new();
    GENERAL_NAME *gn = GENERAL_NAME_new();
    if (s == nullptr || gn == nullptr ||
        ASN1_STRING_set(s, value.data(), static_cast<int>(value.size())) != 1) {
        die("cannot build a SAN");
    }
    GENERAL_NAME_set0_value(gn, type, s);
    if (!sk_GENERAL_NAME_push(names, gn)) die("cannot push a SAN");
}

void set_time(ASN1_TIME *t, long offset) {
    if (X509_gmtime_adj(t, offset) == nullptr) die("cannot set a time");
}

}  // namespace

KeyPtr make_key(KeyType type) {
    EVP_PKEY *key = type == KeyType::kP256 ? EVP_EC_gen("P-256") : EVP_RSA_gen(2048);
    if (key == nullptr) die("cannot generate a key");
    return KeyPtr(key);
}

CertSpec ca_spec(const std::string &cn) {
    CertSpec s;
    s.cn = cn;
    s.basic = Basic::kCa;
    s.key_usage = "critical,keyCertSign,cRLSign";
    s.not_after = 365L * 86400;
    return s;
}

CertSpec leaf_spec(const std::string &cn, const std::string &spiffe_id) {
    CertSpec s;
    s.cn = cn;
    s.basic = Basic::kNotCa;
    s.key_usage = "critical,digitalSignature";
    s.ext_key_usage = "clientAuth";
    if (!spiffe_id.empty()) s.uris.push_back(spiffe_id);
    return s;
}

CertPtr make_cert(const CertSpec &spec, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key) {
    CertPtr cert(X509_new());
    if (!cert || X509_set_version(cert.get(), 2) != 1) die("cannot create a certificate");
    long serial = spec.serial;
    if (serial == 0) {
        unsigned char r[4];
        if (RAND_bytes(r, sizeof r) != 1) die("RAND_bytes");
        serial = 1 + ((long(r[0]) << 23 | long(r[1]) << 15 | long(r[2]) << 7 | r[3]) & 0x3fffffff);
    }
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
    set_time(X509_getm_notBefore(cert.get()), spec.not_before);
    set_time(X509_getm_notAfter(cert.get()), spec.not_after);

    X509_NAME *name = X509_get_subject_name(cert.get());
    if (!spec.org.empty()) {
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char *>(spec.org.c_str()), -1,
                                   -1, 0);
    }
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char *>(spec.cn.c_str()), -1, -1, 0);
    if (X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer) : name) !=
            1 ||
        X509_set_pubkey(cert.get(), key) != 1) {
        die("cannot set names or key");
    }

    if (spec.basic == Basic::kCa) add_ext(cert.get(), issuer, NID_basic_constraints, "critical,CA:TRUE");
    if (spec.basic == Basic::kNotCa) add_ext(cert.get(), issuer, NID_basic_constraints, "critical,CA:FALSE");
    if (!spec.key_usage.empty()) add_ext(cert.get(), issuer, NID_key_usage, spec.key_usage);
    if (!spec.ext_key_usage.empty()) add_ext(cert.get(), issuer, NID_ext_key_usage, spec.ext_key_usage);
    add_ext(cert.get(), issuer, NID_subject_key_identifier, "hash");
    if (issuer != nullptr) add_ext(cert.get(), issuer, NID_authority_key_identifier, "keyid:always");
    if (!spec.uris.empty() || !spec.dns.empty() || !spec.emails.empty()) {
        GENERAL_NAMES *names = GENERAL_NAMES_new();
        for (const std::string &u : spec.uris) add_name(names, GEN_URI, u);
        for (const std::string &d : spec.dns) add_name(names, GEN_DNS, d);
        for (const std::string &e : spec.emails) add_name(names, GEN_EMAIL, e);
        if (X509_add1_ext_i2d(cert.get(), NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT) != 1) {
            die("cannot add subjectAltName");
        }
        GENERAL_NAMES_free(names);
    }
    if (X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) <= 0) {
        die("cannot sign a certificate");
    }
    return cert;
}

CrlPtr make_crl(X509 *issuer, EVP_PKEY *issuer_key, const std::vector<long> &revoked,
                long last_update, long next_update) {
    CrlPtr crl(X509_CRL_new());
    if (!crl || X509_CRL_set_version(crl.get(), 1) != 1 ||
        X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer)) != 1) {
        die("cannot create a CRL");
    }
    ASN1_TIME *t = ASN1_TIME_new();
    set_time(t, last_update);
    X509_CRL_set1_lastUpdate(crl.get(), t);
    set_time(t, next_update);
    X509_CRL_set1_nextUpdate(crl.get(), t);
    for (long serial : revoked) {
        X509_REVOKED *r = X509_REVOKED_new();
        ASN1_INTEGER *s = ASN1_INTEGER_new();
        ASN1_INTEGER_set(s, serial);
        set_time(t, last_update);
        if (X509_REVOKED_set_serialNumber(r, s) != 1 || X509_REVOKED_set_revocationDate(r, t) != 1 ||
            X509_CRL_add0_revoked(crl.get(), r) != 1) {
            die("cannot add a revoked entry");
        }
        ASN1_INTEGER_free(s);
    }
    ASN1_TIME_free(t);
    X509_CRL_sort(crl.get());
    if (X509_CRL_sign(crl.get(), issuer_key, EVP_sha256()) <= 0) die("cannot sign a CRL");
    return crl;
}

std::string pem_of(X509 *cert) {
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == nullptr || PEM_write_bio_X509(bio, cert) != 1) die("PEM_write_bio_X509");
    char *p = nullptr;
    long n = BIO_get_mem_data(bio, &p);
    std::string out(p, static_cast<size_t>(n));
    BIO_free(bio);
    return out;
}

std::string pem_of(X509_CRL *crl) {
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == nullptr || PEM_write_bio_X509_CRL(bio, crl) != 1) die("PEM_write_bio_X509_CRL");
    char *p = nullptr;
    long n = BIO_get_mem_data(bio, &p);
    std::string out(p, static_cast<size_t>(n));
    BIO_free(bio);
    return out;
}

std::string der_of(X509 *cert) {
    unsigned char *der = nullptr;
    int n = i2d_X509(cert, &der);
    if (n <= 0) die("i2d_X509");
    std::string out(reinterpret_cast<char *>(der), static_cast<size_t>(n));
    OPENSSL_free(der);
    return out;
}

std::string make_temp_dir() {
    const char *base = std::getenv("TMPDIR");
    std::string templ = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                        "/s2s-pki-XXXXXX";
    if (mkdtemp(templ.data()) == nullptr) die("mkdtemp");
    return templ;
}

void remove_dir(const std::string &dir) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
}

void write_file(const std::string &path, const std::string &content) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << content;
    if (!f) die(("cannot write " + path).c_str());
}

}  // namespace s2s::testpki
