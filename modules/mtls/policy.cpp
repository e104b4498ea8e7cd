// policy.cpp: the mTLS directives, loading trust bundles and CRLs, and the
// allowlist decision.
//
// Directives only record what they name; finish() reads every file once when
// the verifier is built, so a bad bundle refuses to start the host instead of
// denying requests later.  check() is on the request path: it compares the
// strings make_peer computed once per connection and never calls OpenSSL.
#include <cerrno>
#include <cstring>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "mtls/digest.hpp"
#include "mtls/policy_data.hpp"

namespace s2s::mtls {
namespace {

constexpr size_t kMaxAllowEntries = 4096;
constexpr size_t kMaxBundleCerts = 4096;

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

Error bad_value(std::string_view name, std::string_view value, const char *why,
                const char *hint = "") {
    return make_error(S2S_ERR_CONFIG, "bad value for " + std::string(name),
                      std::string(why) + ": \"" + std::string(value) + "\"", hint);
}

bool parse_yes_no(std::string_view value, bool &out) {
    if (value == "yes") { out = true; return true; }
    if (value == "no") { out = false; return true; }
    return false;
}

// Reads every PEM certificate of a bundle file; none is an error.
Error load_bundle(const std::string &path, std::vector<X509Ptr> &out) {
    BioPtr bio(BIO_new_file(path.c_str(), "r"));
    if (!bio) {
        int saved = errno;
        ERR_clear_error();
        return make_error(S2S_ERR_CONFIG, "cannot read trust bundle",
                          path + ": " + std::strerror(saved));
    }
    size_t before = out.size();
    for (;;) {
        X509 *cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
        if (cert == nullptr) break;
        if (out.size() - before == kMaxBundleCerts) {
            X509_free(cert);
            ERR_clear_error();
            return make_error(S2S_ERR_CONFIG, "trust bundle has too many certificates",
                              path + ": more than 4096");
        }
        out.emplace_back(cert);
    }
    unsigned long e = ERR_peek_last_error();
    ERR_clear_error();
    // The loop ends at end of file ("no start line"); anything else is a bad block.
    if (e != 0 && !(ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)) {
        return make_error(S2S_ERR_CONFIG, "trust bundle has a malformed certificate", path,
                          "each certificate must be a PEM \"CERTIFICATE\" block");
    }
    if (out.size() == before) {
        return make_error(S2S_ERR_CONFIG, "trust bundle is empty",
                          path + ": no PEM certificate found");
    }
    return {};
}

Error load_crls(const std::string &path, std::vector<X509CrlPtr> &out) {
    BioPtr bio(BIO_new_file(path.c_str(), "r"));
    if (!bio) {
        int saved = errno;
        ERR_clear_error();
        return make_error(S2S_ERR_CONFIG, "cannot read crl", path + ": " + std::strerror(saved));
    }
    size_t before = out.size();
    for (;;) {
        X509_CRL *crl = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr);
        if (crl == nullptr) break;
        out.emplace_back(crl);
    }
    unsigned long e = ERR_peek_last_error();
    ERR_clear_error();
    if (e != 0 && !(ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)) {
        return make_error(S2S_ERR_CONFIG, "crl file has a malformed crl", path,
                          "each crl must be a PEM \"X509 CRL\" block");
    }
    if (out.size() == before) {
        return make_error(S2S_ERR_CONFIG, "crl file is empty", path + ": no PEM crl found");
    }
    return {};
}

bool contains(const std::vector<std::string> &list, std::string_view value) {
    for (const std::string &entry : list) {
        if (entry == value) return true;
    }
    return false;
}

}  // namespace

unsigned long PolicyData::verify_flags() const {
    // CRL_CHECK covers the leaf, CRL_CHECK_ALL every CA below the root: once a
    // CRL is configured, an issuer without a current CRL is a failure.
    // PARTIAL_CHAIN is never set: a chain must end at a self-signed anchor.
    return crls.empty() ? 0UL : (X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
}

X509StorePtr make_store(const PolicyData &pd, const std::vector<const X509 *> &anchors) {
    X509StorePtr store(X509_STORE_new());
    if (!store) return nullptr;
    for (const X509 *anchor : anchors) {
        // X509_STORE_add_cert takes its own reference; a duplicate is harmless.
        if (X509_STORE_add_cert(store.get(), const_cast<X509 *>(anchor)) != 1) return nullptr;
    }
    for (const X509CrlPtr &crl : pd.crls) {
        if (X509_STORE_add_crl(store.get(), crl.get()) != 1) return nullptr;
    }
    if (X509_STORE_set_flags(store.get(), pd.verify_flags()) != 1 ||
        X509_STORE_set_depth(store.get(), pd.verify_depth) != 1 ||
        X509_STORE_set_purpose(store.get(), X509_PURPOSE_SSL_CLIENT) != 1) {
        return nullptr;
    }
    return store;
}

Policy::Policy() : data_(std::make_unique<PolicyData>()) {}
Policy::~Policy() = default;
Policy::Policy(Policy &&) noexcept = default;
Policy &Policy::operator=(Policy &&) noexcept = default;

bool Policy::set(std::string_view name, std::string_view raw, Error &err) {
    PolicyData &pd = *data_;
    std::string_view value = trim(raw);
    err = {};

    auto add_allow = [&](std::vector<std::string> &list, std::string entry) {
        if (list.size() == kMaxAllowEntries) {
            err = bad_value(name, value, "more than 4096 entries");
            return;
        }
        list.push_back(std::move(entry));
    };

    if (pd.finished) {
        err = make_error(S2S_ERR_INTERNAL, "mtls policy is already built",
                         "directive " + std::string(name) + " after finish()");
        return true;
    }
    if (name == "trust_bundle") {
        if (value.empty()) { err = bad_value(name, value, "expected a file"); return true; }
        TrustGroup *g = nullptr;
        for (TrustGroup &each : pd.groups) {
            if (each.trust_domain.empty()) g = &each;
        }
        if (g == nullptr) g = &pd.groups.emplace_back();
        g->files.emplace_back(value);
        return true;
    }
    if (name == "trust_bundle_spiffe") {
        size_t space = value.find_first_of(" \t");
        if (space == std::string_view::npos) {
            err = bad_value(name, value, "expected <trust-domain> <file>");
            return true;
        }
        std::string_view td = value.substr(0, space);
        std::string_view file = trim(value.substr(space));
        if (SpiffeRule r = check_trust_domain(td); r != SpiffeRule::kOk) {
            err = bad_value(name, td, spiffe_rule_text(r), "a trust domain is e.g. example.org");
            return true;
        }
        TrustGroup *g = nullptr;
        for (TrustGroup &each : pd.groups) {
            if (each.trust_domain == td) g = &each;
        }
        if (g == nullptr) {
            g = &pd.groups.emplace_back();
            g->trust_domain = td;
        }
        g->files.emplace_back(file);
        return true;
    }
    if (name == "crl") {
        if (value.empty()) { err = bad_value(name, value, "expected a file"); return true; }
        pd.crl_files.emplace_back(value);
        return true;
    }
    if (name == "require_client_cert" || name == "require_spiffe_id" || name == "verify_depth") {
        if (contains(pd.scalars_seen, name)) {
            err = make_error(S2S_ERR_CONFIG, "duplicate directive \"" + std::string(name) + "\"",
                             "", "give each of require_client_cert, require_spiffe_id and "
                                 "verify_depth once");
            return true;
        }
        pd.scalars_seen.emplace_back(name);
    }
    if (name == "require_client_cert" || name == "require_spiffe_id") {
        bool &flag = name == "require_client_cert" ? pd.require_client_cert : pd.require_spiffe_id;
        if (!parse_yes_no(value, flag)) err = bad_value(name, value, "expected yes or no");
        return true;
    }
    if (name == "verify_depth") {
        int depth = 0;
        bool ok = !value.empty() && value.size() <= 2;
        for (char c : value) {
            if (c < '0' || c > '9') ok = false;
            else depth = depth * 10 + (c - '0');
        }
        if (!ok || depth < 1 || depth > kMaxVerifyDepth) {
            err = bad_value(name, value, "expected an integer from 1 to 16");
        } else {
            pd.verify_depth = depth;
        }
        return true;
    }
    if (name == "allow_spiffe_id" || name == "allow_spiffe_prefix") {
        SpiffeIdView view;
        if (SpiffeRule r = parse_spiffe_id(value, view); r != SpiffeRule::kOk) {
            err = bad_value(name, value, spiffe_rule_text(r),
                            "write a SPIFFE ID such as spiffe://example.org/ns/prod/sa/api");
            return true;
        }
        add_allow(name == "allow_spiffe_id" ? pd.allow_spiffe_id : pd.allow_spiffe_prefix,
                  std::string(value));
        return true;
    }
    if (name == "allow_trust_domain") {
        if (SpiffeRule r = check_trust_domain(value); r != SpiffeRule::kOk) {
            err = bad_value(name, value, spiffe_rule_text(r));
            return true;
        }
        add_allow(pd.allow_trust_domain, std::string(value));
        return true;
    }
    if (name == "allow_cert_sha256" || name == "allow_spki_sha256") {
        std::string pin;
        if (!normalize_pin(value, pin)) {
            err = bad_value(name, value, "not a SHA-256 pin",
                            "give 43 characters of base64url (x5t#S256) or 64 hex digits; "
                            "`s2s2auth cert inspect` prints both");
            return true;
        }
        add_allow(name == "allow_cert_sha256" ? pd.allow_cert_sha256 : pd.allow_spki_sha256,
                  std::move(pin));
        return true;
    }
    if (name == "allow_dns" || name == "allow_subject") {
        if (value.empty()) { err = bad_value(name, value, "expected a value"); return true; }
        add_allow(name == "allow_dns" ? pd.allow_dns : pd.allow_subject, std::string(value));
        return true;
    }
    return false;
}

Error Policy::finish() {
    PolicyData &pd = *data_;
    if (pd.finished) return {};
    for (const std::string &file : pd.crl_files) {
        if (Error e = load_crls(file, pd.crls)) return e;
    }
    for (TrustGroup &g : pd.groups) {
        for (const std::string &file : g.files) {
            if (Error e = load_bundle(file, g.anchors)) return e;
        }
        std::vector<const X509 *> anchors;
        for (const X509Ptr &a : g.anchors) anchors.push_back(a.get());
        g.store = make_store(pd, anchors);
        if (!g.store) {
            ERR_clear_error();
            return make_error(S2S_ERR_CRYPTO, "cannot build the trust store",
                              g.trust_domain.empty() ? "trust_bundle"
                                                     : "trust_bundle_spiffe " + g.trust_domain);
        }
    }
    if (!pd.crls.empty() && pd.groups.empty()) {
        return make_error(S2S_ERR_CONFIG, "crl given without a trust bundle", "",
                          "add trust_bundle or trust_bundle_spiffe");
    }
    pd.finished = true;
    return {};
}

bool Policy::requires_client_cert() const { return data_->require_client_cert; }

bool Policy::has_allowlist() const {
    const PolicyData &pd = *data_;
    return !pd.allow_spiffe_id.empty() || !pd.allow_trust_domain.empty() ||
           !pd.allow_spiffe_prefix.empty() || !pd.allow_cert_sha256.empty() ||
           !pd.allow_spki_sha256.empty() || !pd.allow_dns.empty() || !pd.allow_subject.empty();
}

bool Policy::has_trust_bundle() const { return !data_->groups.empty(); }

s2s_reason Policy::check(const s2s_peer *peer) const {
    const PolicyData &pd = *data_;
    if (peer == nullptr) {
        return requires_client_cert() || has_allowlist() ? S2S_REASON_CERT_REQUIRED
                                                         : S2S_REASON_OK;
    }
    if (!peer->trusted) return S2S_REASON_CERT_UNTRUSTED;
    if (!has_allowlist()) return S2S_REASON_OK;

    if (!peer->spiffe_id.empty()) {
        if (contains(pd.allow_spiffe_id, peer->spiffe_id)) return S2S_REASON_OK;
        if (contains(pd.allow_trust_domain, peer->trust_domain)) return S2S_REASON_OK;
        for (const std::string &prefix : pd.allow_spiffe_prefix) {
            if (spiffe_id_has_prefix(peer->spiffe_id, prefix)) return S2S_REASON_OK;
        }
    }
    if (!peer->cert_sha256.empty() && contains(pd.allow_cert_sha256, peer->cert_sha256)) {
        return S2S_REASON_OK;
    }
    if (!peer->spki_sha256.empty() && contains(pd.allow_spki_sha256, peer->spki_sha256)) {
        return S2S_REASON_OK;
    }
    for (const std::string &dns : peer->dns_sans) {
        if (contains(pd.allow_dns, dns)) return S2S_REASON_OK;
    }
    if (!peer->subject.empty() && contains(pd.allow_subject, peer->subject)) {
        return S2S_REASON_OK;
    }
    return S2S_REASON_CERT_POLICY;
}

}  // namespace s2s::mtls
