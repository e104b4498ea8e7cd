// cli_cert.cpp: `s2sauth cert inspect` and the --bind-cert fingerprint.
//
// The x5t#S256 and the SPIFFE ID come from the library (s2s_peer_new_pem with
// no verifier), so the CLI prints exactly what the verifier will compare a
// cert.sha256 caveat against; the descriptive fields (names, validity) are
// read with OpenSSL directly.  Nothing here judges trust: inspect describes.
#include "cli_cert.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "s2sauth.h"

namespace {

constexpr size_t kMaxPemFile = 2u << 20;

struct X509Free { void operator()(X509 *x) const { X509_free(x); } };
struct BioFree { void operator()(BIO *b) const { BIO_free(b); } };
struct NamesFree { void operator()(GENERAL_NAMES *n) const { GENERAL_NAMES_free(n); } };
struct PeerFree { void operator()(s2s_peer *p) const { s2s_peer_free(p); } };

bool read_file(const char *path, std::string &out) {
    std::ifstream f(path, std::ios::binary);
    if (!f) {
        std::fprintf(stderr, "s2sauth: cannot read %s: %s\n", path, std::strerror(errno));
        return false;
    }
    out.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    if (f.bad()) {
        std::fprintf(stderr, "s2sauth: cannot read %s\n", path);
        return false;
    }
    if (out.size() > kMaxPemFile) {
        std::fprintf(stderr, "s2sauth: %s is larger than 2 MiB\n", path);
        return false;
    }
    return true;
}

// Bytes from a certificate are untrusted: print them as ASCII with \xNN escapes.
std::string printable(const unsigned char *p, size_t n) {
    std::string out;
    for (size_t i = 0; i < n; i++) {
        if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\') {
            out.push_back(static_cast<char>(p[i]));
        } else {
            char esc[8];
            std::snprintf(esc, sizeof esc, "\\x%02x", p[i]);
            out += esc;
        }
    }
    return out;
}

std::string name_line(const X509_NAME *name) {
    std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
    if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return "?";
    char *text = nullptr;
    long len = BIO_get_mem_data(bio.get(), &text);
    return printable(reinterpret_cast<const unsigned char *>(text), len > 0 ? size_t(len) : 0);
}

std::string time_line(const ASN1_TIME *t) {
    struct tm tm {};
    if (ASN1_TIME_to_tm(t, &tm) != 1) return "?";
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string serial_line(X509 *cert) {
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
    if (bn == nullptr) return "?";
    char *hex = BN_bn2hex(bn);
    std::string out = hex != nullptr ? std::string("0x") + hex : "?";
    OPENSSL_free(hex);
    BN_free(bn);
    return out;
}

std::string sha256_hex_colons(X509 *cert) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (X509_digest(cert, EVP_sha256(), md, &len) != 1) return "?";
    std::string out;
    for (unsigned int i = 0; i < len; i++) {
        char b[4];
        std::snprintf(b, sizeof b, i ? ":%02X" : "%02X", md[i]);
        out += b;
    }
    return out;
}

// An iPAddress SAN is 4 or 16 raw bytes.
std::string ip_text(const ASN1_STRING *s) {
    const unsigned char *b = ASN1_STRING_get0_data(s);
    int n = ASN1_STRING_length(s);
    char buf[48];
    if (n == 4) {
        std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
        return buf;
    }
    if (n != 16) return "?";
    std::string v6;
    for (int k = 0; k < 16; k += 2) {
        std::snprintf(buf, sizeof buf, k ? ":%x" : "%x", unsigned(b[k] << 8 | b[k + 1]));
        v6 += buf;
    }
    return v6;
}

// base64url(SHA-256(SubjectPublicKeyInfo DER)), the form allow_spki_sha256 takes.
std::string spki_pin(X509 *cert) {
    unsigned char *der = nullptr;
    int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
    if (len <= 0) return "?";
    unsigned char md[32];
    unsigned int md_len = 0;
    int ok = EVP_Digest(der, size_t(len), md, &md_len, EVP_sha256(), nullptr);
    OPENSSL_free(der);
    if (ok != 1) return "?";
    unsigned char b64[48];
    int n = EVP_EncodeBlock(b64, md, int(md_len));
    std::string out;
    for (int i = 0; i < n; i++) {
        char c = char(b64[i]);
        if (c == '=') break;
        out.push_back(c == '+' ? '-' : c == '/' ? '_' : c);
    }
    return out;
}

void print_sans(X509 *cert) {
    std::unique_ptr<GENERAL_NAMES, NamesFree> names(static_cast<GENERAL_NAMES *>(
        X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
    if (!names) {
        std::printf("%-13s (none)\n", "san:");
        return;
    }
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); i++) {
        const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names.get(), i);
        const ASN1_STRING *s = nullptr;
        const char *label = nullptr;
        switch (gn->type) {
        case GEN_DNS: label = "san dns:"; s = gn->d.dNSName; break;
        case GEN_URI: label = "san uri:"; s = gn->d.uniformResourceIdentifier; break;
        case GEN_EMAIL: label = "san email:"; s = gn->d.rfc822Name; break;
        case GEN_IPADD: label = "san ip:"; s = gn->d.iPAddress; break;
        default: label = "san other:"; break;
        }
        if (gn->type == GEN_IPADD && s != nullptr) {
            std::printf("%-13s %s\n", label, ip_text(s).c_str());
        } else if (s != nullptr) {
            std::printf("%-13s %s\n", label,
                        printable(ASN1_STRING_get0_data(s), size_t(ASN1_STRING_length(s))).c_str());
        } else {
            std::printf("%-13s (type %d)\n", label, gn->type);
        }
    }
}

}  // namespace

extern "C" int s2s_cli_cert_x5t(const char *pem_path, char *out, size_t cap) {
    std::string pem;
    if (pem_path == nullptr || out == nullptr || cap == 0) return -1;
    if (!read_file(pem_path, pem)) return -1;
    s2s_peer *raw = nullptr;
    s2s_error err;
    if (s2s_peer_new_pem(nullptr, pem.data(), pem.size(), 1, &raw, &err) != S2S_OK) {
        std::fprintf(stderr, "s2sauth: %s: %s%s%s\n", pem_path, err.message,
                     err.detail[0] ? ": " : "", err.detail);
        return -1;
    }
    std::unique_ptr<s2s_peer, PeerFree> peer(raw);
    const char *x5t = s2s_peer_cert_sha256(peer.get());
    if (std::strlen(x5t) + 1 > cap) {
        std::fprintf(stderr, "s2sauth: x5t#S256 buffer too small\n");
        return -1;
    }
    std::memcpy(out, x5t, std::strlen(x5t) + 1);
    return 0;
}

extern "C" int s2s_cli_cert_inspect(int argc, char **argv) {
    if (argc != 2 || argv[1] == nullptr || argv[1][0] == '-') {
        std::fprintf(stderr, "usage: s2sauth cert inspect <chain.pem>\n");
        return 2;
    }
    const char *path = argv[1];
    std::string pem;
    if (!read_file(path, pem)) return 2;

    s2s_peer *raw = nullptr;
    s2s_error err;
    if (s2s_peer_new_pem(nullptr, pem.data(), pem.size(), 1, &raw, &err) != S2S_OK) {
        std::fprintf(stderr, "s2sauth: %s: %s%s%s\n", path, err.message,
                     err.detail[0] ? ": " : "", err.detail);
        return 2;
    }
    std::unique_ptr<s2s_peer, PeerFree> peer(raw);

    std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    std::unique_ptr<X509, X509Free> leaf(
        bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    int chain_len = leaf ? 1 : 0;
    while (bio) {
        X509 *next = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
        if (next == nullptr) break;
        X509_free(next);
        chain_len++;
    }
    ERR_clear_error();
    if (!leaf) {
        std::fprintf(stderr, "s2sauth: %s: no certificate\n", path);
        return 2;
    }

    time_t now = time(nullptr);
    const char *state = X509_cmp_time(X509_get0_notBefore(leaf.get()), &now) > 0 ? "not yet valid"
                        : X509_cmp_time(X509_get0_notAfter(leaf.get()), &now) < 0 ? "expired"
                                                                                  : "valid now";
    const char *spiffe = s2s_peer_spiffe_id(peer.get());
    std::printf("%-13s %s\n", "subject:", name_line(X509_get_subject_name(leaf.get())).c_str());
    std::printf("%-13s %s\n", "issuer:", name_line(X509_get_issuer_name(leaf.get())).c_str());
    std::printf("%-13s %s\n", "serial:", serial_line(leaf.get()).c_str());
    std::printf("%-13s %s\n", "not before:", time_line(X509_get0_notBefore(leaf.get())).c_str());
    std::printf("%-13s %s (%s)\n", "not after:", time_line(X509_get0_notAfter(leaf.get())).c_str(),
                state);
    print_sans(leaf.get());
    std::printf("%-13s %s\n", "spiffe id:", spiffe[0] ? spiffe : "(none)");
    std::printf("%-13s %s\n", "sha256:", sha256_hex_colons(leaf.get()).c_str());
    std::printf("%-13s %s\n", "x5t#S256:", s2s_peer_cert_sha256(peer.get()));
    std::printf("%-13s %s\n", "spki sha256:", spki_pin(leaf.get()).c_str());
    std::printf("%-13s %d certificate%s\n", "chain:", chain_len, chain_len == 1 ? "" : "s");
    return std::fflush(stdout) == 0 ? 0 : 2;
}
