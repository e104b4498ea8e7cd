// peer.cpp: turning a client's certificate chain into an s2s_peer.
//
// Everything a request may later ask about the certificate (x5t#S256, SPKI
// pin, SPIFFE ID, DNS SANs, subject, whether it is trusted) is computed here,
// once per connection, so the request path only compares strings.
//
// Trust: with no trust bundle configured the host's own verification is the
// answer; with a bundle, the core verifies the chain itself and that is the
// answer.  Either way the SVID leaf rules apply when the policy requires a
// SPIFFE ID or the leaf claims one (any URI SAN with the spiffe scheme).
#include <cstring>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "mtls/chain.hpp"
#include "mtls/digest.hpp"
#include "mtls/policy_data.hpp"

namespace s2s::mtls {
namespace {

std::string_view asn1_view(const ASN1_STRING *s) {
    return {reinterpret_cast<const char *>(ASN1_STRING_get0_data(s)),
            static_cast<size_t>(ASN1_STRING_length(s))};
}

std::string der_of(X509 *cert) {
    unsigned char *der = nullptr;
    int len = i2d_X509(cert, &der);
    if (len <= 0) return {};
    std::unique_ptr<unsigned char, OpensslFree> owner(der);
    return {reinterpret_cast<const char *>(der), static_cast<size_t>(len)};
}

std::string spki_der_of(X509 *cert) {
    unsigned char *der = nullptr;
    int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
    if (len <= 0) return {};
    std::unique_ptr<unsigned char, OpensslFree> owner(der);
    return {reinterpret_cast<const char *>(der), static_cast<size_t>(len)};
}

bool subject_rfc2253(X509 *cert, std::string &out) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio) return false;
    if (X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) < 0) {
        return false;
    }
    char *text = nullptr;
    long len = BIO_get_mem_data(bio.get(), &text);
    out.assign(text != nullptr ? text : "", len > 0 ? static_cast<size_t>(len) : 0);
    return true;
}

// Fills SANs and the SPIFFE facts; returns a static reason when the
// subjectAltName extension itself is unusable, "" otherwise.
const char *read_sans(X509 *leaf, s2s_peer &p, bool &claims_spiffe) {
    claims_spiffe = false;
    int crit = 0;
    GeneralNamesPtr names(static_cast<GENERAL_NAMES *>(
        X509_get_ext_d2i(leaf, NID_subject_alt_name, &crit, nullptr)));
    if (!names) {
        ERR_clear_error();
        // -1: no such extension; -2: it appears twice; otherwise it did not parse.
        if (crit == -1) return "";
        return crit == -2 ? "leaf has two subjectAltName extensions"
                          : "leaf has a malformed subjectAltName";
    }
    std::string_view uri;
    int uri_count = 0;
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); i++) {
        const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names.get(), i);
        if (gn->type == GEN_URI) {
            uri = asn1_view(gn->d.uniformResourceIdentifier);
            uri_count++;
            if (uri.size() >= 7 && strncasecmp(uri.data(), "spiffe:", 7) == 0) {
                claims_spiffe = true;
            }
        } else if (gn->type == GEN_DNS) {
            std::string_view dns = asn1_view(gn->d.dNSName);
            // A NUL would let "good.example\0.evil" match "good.example": drop it.
            if (!dns.empty() && dns.find('\0') == std::string_view::npos) {
                p.dns_sans.emplace_back(dns);
            }
        }
    }
    if (uri_count == 0) {
        p.spiffe_status = SpiffeStatus::kAbsent;
    } else if (uri_count > 1) {
        p.spiffe_status = SpiffeStatus::kMultipleUriSans;
    } else {
        SpiffeIdView view;
        p.spiffe_rule = parse_spiffe_id(uri, view);
        if (p.spiffe_rule == SpiffeRule::kOk) {
            p.spiffe_status = SpiffeStatus::kValid;
            p.spiffe_id.assign(uri);
            p.trust_domain.assign(view.trust_domain);
        } else {
            p.spiffe_status = SpiffeStatus::kInvalid;
        }
    }
    return "";
}

const char *spiffe_problem(const s2s_peer &p) {
    switch (p.spiffe_status) {
    case SpiffeStatus::kValid: return "";
    case SpiffeStatus::kAbsent: return "no uri san where a spiffe id is required";
    case SpiffeStatus::kMultipleUriSans: return "leaf has more than one uri san";
    case SpiffeStatus::kInvalid: return spiffe_rule_text(p.spiffe_rule);
    }
    return "invalid spiffe id";
}

void untrusted(s2s_peer &p, const char *why) {
    if (p.untrusted_detail[0] == '\0') p.untrusted_detail = why;
    p.trusted = false;
}

// Computes every fact and the trust verdict for a parsed chain (leaf first).
Error build_peer(const PolicyData &pd, X509StackPtr chain, bool host_verified, s2s_peer *&out) {
    auto p = std::make_unique<s2s_peer>();
    X509 *leaf = sk_X509_value(chain.get(), 0);

    if (!sha256_b64url(der_of(leaf), p->cert_sha256) ||
        !sha256_b64url(spki_der_of(leaf), p->spki_sha256) || !subject_rfc2253(leaf, p->subject)) {
        ERR_clear_error();
        return make_error(S2S_ERR_CRYPTO, "cannot fingerprint the client certificate");
    }
    bool claims_spiffe = false;
    const char *san_problem = read_sans(leaf, *p, claims_spiffe);

    p->trusted = true;
    if (san_problem[0] != '\0') untrusted(*p, san_problem);
    if (pd.groups.empty()) {
        if (!host_verified) untrusted(*p, "the host did not verify the certificate");
    } else {
        // The peer's intermediates are untrusted input: only the bundle anchors vouch.
        X509StackPtr intermediates(sk_X509_new_null());
        if (!intermediates) return make_error(S2S_ERR_NO_MEMORY, "out of memory");
        for (int i = 1; i < sk_X509_num(chain.get()); i++) {
            X509 *c = sk_X509_value(chain.get(), i);
            if (X509_up_ref(c) != 1) return make_error(S2S_ERR_INTERNAL, "X509_up_ref failed");
            if (!sk_X509_push(intermediates.get(), c)) {
                X509_free(c);
                return make_error(S2S_ERR_NO_MEMORY, "out of memory");
            }
        }
        ChainResult r = verify_chain(pd, leaf, intermediates.get(), p->trust_domain);
        p->chain_error = r.verify_error;
        if (!r.ok) untrusted(*p, r.detail);
    }
    if (pd.require_spiffe_id || claims_spiffe) {
        if (const char *why = spiffe_problem(*p); why[0] != '\0') untrusted(*p, why);
        if (const char *why = check_svid_leaf(leaf); why[0] != '\0') untrusted(*p, why);
    }
    out = p.release();
    return {};
}

}  // namespace

X509 *IntermediateCache::find(std::string_view der) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = certs_.find(std::string(der));
    if (it == certs_.end() || X509_up_ref(it->second.get()) != 1) return nullptr;
    return it->second.get();
}

void IntermediateCache::add(std::string_view der, X509 *cert) const {
    std::lock_guard<std::mutex> lock(mu_);
    if (certs_.size() >= kMaxEntries || certs_.count(std::string(der)) != 0) return;
    if (X509_up_ref(cert) != 1) return;
    certs_.emplace(std::string(der), X509Ptr(cert));
}

Error make_peer(const Policy &policy, const unsigned char *const *certs_der, const size_t *lens,
                size_t count, bool host_verified, s2s_peer *&out) {
    out = nullptr;
    if (count == 0 || certs_der == nullptr || lens == nullptr) {
        return make_error(S2S_ERR_INVALID_ARGUMENT, "no certificate given");
    }
    if (count > kMaxChainCerts) {
        return make_error(S2S_ERR_LIMIT, "certificate chain too long",
                          std::to_string(count) + " certificates, at most 16");
    }
    X509StackPtr chain(sk_X509_new_null());
    if (!chain) return make_error(S2S_ERR_NO_MEMORY, "out of memory");
    // Intermediates parsed by this call; cached only if the chain verifies, so
    // only a client holding a trusted certificate can add entries.
    std::vector<std::pair<std::string_view, X509Ptr>> parsed;
    for (size_t i = 0; i < count; i++) {
        if (certs_der[i] == nullptr || lens[i] == 0) {
            return make_error(S2S_ERR_INVALID_ARGUMENT, "empty certificate",
                              "certificate " + std::to_string(i));
        }
        if (lens[i] > kMaxCertBytes) {
            return make_error(S2S_ERR_LIMIT, "certificate too large",
                              "certificate " + std::to_string(i) + ": " +
                                  std::to_string(lens[i]) + " bytes, at most 65536");
        }
        std::string_view der(reinterpret_cast<const char *>(certs_der[i]), lens[i]);
        X509 *cert = i > 0 ? policy.data()->intermediates.find(der) : nullptr;
        if (cert != nullptr) {
            if (!sk_X509_push(chain.get(), cert)) {
                X509_free(cert);
                return make_error(S2S_ERR_NO_MEMORY, "out of memory");
            }
            continue;
        }
        const unsigned char *cursor = certs_der[i];
        cert = d2i_X509(nullptr, &cursor, static_cast<long>(lens[i]));
        if (cert == nullptr || cursor != certs_der[i] + lens[i]) {
            bool trailing = cert != nullptr;
            X509_free(cert);
            ERR_clear_error();
            return make_error(S2S_ERR_MALFORMED, "certificate does not parse",
                              "certificate " + std::to_string(i) +
                                  (trailing ? ": trailing bytes after the DER" : ""));
        }
        if (!sk_X509_push(chain.get(), cert)) {
            X509_free(cert);
            return make_error(S2S_ERR_NO_MEMORY, "out of memory");
        }
        if (i > 0 && X509_up_ref(cert) == 1) parsed.emplace_back(der, X509Ptr(cert));
    }
    Error e = build_peer(*policy.data(), std::move(chain), host_verified, out);
    if (!e && policy.has_trust_bundle() && out->chain_error == 0) {
        for (const auto &[der, cert] : parsed) policy.data()->intermediates.add(der, cert.get());
    }
    return e;
}

Error make_peer_pem(const Policy &policy, std::string_view pem, bool host_verified,
                    s2s_peer *&out) {
    out = nullptr;
    if (pem.empty()) return make_error(S2S_ERR_INVALID_ARGUMENT, "no certificate given");
    if (pem.size() > kMaxPemBytes) {
        return make_error(S2S_ERR_LIMIT, "certificate chain too large",
                          std::to_string(pem.size()) + " bytes of PEM");
    }
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) return make_error(S2S_ERR_NO_MEMORY, "out of memory");
    std::vector<std::string> ders;
    for (;;) {
        char *name = nullptr;
        char *header = nullptr;
        unsigned char *body = nullptr;
        long len = 0;
        if (PEM_read_bio(bio.get(), &name, &header, &body, &len) != 1) break;
        std::unique_ptr<char, OpensslFree> name_owner(name), header_owner(header);
        std::unique_ptr<unsigned char, OpensslFree> body_owner(body);
        if (std::strcmp(name, PEM_STRING_X509) != 0) {
            ERR_clear_error();
            return make_error(S2S_ERR_MALFORMED, "unexpected PEM block in a certificate chain",
                              std::string("block \"") + name + "\"",
                              "give only CERTIFICATE blocks, leaf first");
        }
        if (ders.size() == kMaxChainCerts) {
            ERR_clear_error();
            return make_error(S2S_ERR_LIMIT, "certificate chain too long", "at most 16");
        }
        ders.emplace_back(reinterpret_cast<const char *>(body), static_cast<size_t>(len));
    }
    unsigned long e = ERR_peek_last_error();
    ERR_clear_error();
    if (e != 0 && !(ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)) {
        return make_error(S2S_ERR_MALFORMED, "malformed PEM certificate block");
    }
    if (ders.empty()) return make_error(S2S_ERR_MALFORMED, "no PEM certificate found");
    std::vector<const unsigned char *> ptrs;
    std::vector<size_t> lens;
    for (const std::string &d : ders) {
        ptrs.push_back(reinterpret_cast<const unsigned char *>(d.data()));
        lens.push_back(d.size());
    }
    return make_peer(policy, ptrs.data(), lens.data(), ptrs.size(), host_verified, out);
}

}  // namespace s2s::mtls
