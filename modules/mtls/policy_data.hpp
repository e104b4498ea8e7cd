// policy_data.hpp: what an mTLS Policy holds (private to the module).
//
// Trust bundles are kept per trust domain: each bundle becomes its own
// X509_STORE, so a chain is only ever built against the anchors that may vouch
// for the identity the leaf claims.  The stores are filled once by finish()
// and only read afterwards, which X509_STORE allows from many threads.
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "mtls/mtls.hpp"
#include "mtls/ossl.hpp"

namespace s2s::mtls {

// One set of anchors: trust_bundle (trust_domain "", vouches for anything) or
// trust_bundle_spiffe (vouches only for spiffe://<trust_domain>/...).
struct TrustGroup {
    std::string trust_domain;
    std::vector<std::string> files;
    std::vector<X509Ptr> anchors;
    X509StorePtr store;
};

// Intermediates parsed before, by their exact DER.  OpenSSL 3.0 spends about
// as long decoding a certificate (its public key) as verifying a signature,
// and every client under one CA sends the same intermediates, so make_peer
// parses each of them once.  Bounded; full means "parse as usual".
class IntermediateCache {
public:
    static constexpr size_t kMaxEntries = 256;

    // A new reference to the parsed certificate, or NULL.
    X509 *find(std::string_view der) const;
    void add(std::string_view der, X509 *cert) const;
    size_t size() const {
        std::lock_guard<std::mutex> lock(mu_);
        return certs_.size();
    }

private:
    mutable std::mutex mu_;
    mutable std::unordered_map<std::string, X509Ptr> certs_;
};

struct PolicyData {
    std::vector<TrustGroup> groups;
    std::vector<std::string> crl_files;
    std::vector<X509CrlPtr> crls;

    bool require_client_cert = false;
    bool require_spiffe_id = false;
    int verify_depth = kDefaultVerifyDepth;
    bool finished = false;
    std::vector<std::string> scalars_seen;  // require_*, verify_depth: given once
    IntermediateCache intermediates;

    std::vector<std::string> allow_spiffe_id;
    std::vector<std::string> allow_trust_domain;
    std::vector<std::string> allow_spiffe_prefix;
    std::vector<std::string> allow_cert_sha256;  // base64url, 43 characters
    std::vector<std::string> allow_spki_sha256;
    std::vector<std::string> allow_dns;
    std::vector<std::string> allow_subject;

    // The group for trust_domain ("" for the unrestricted one), or NULL.
    const TrustGroup *group(std::string_view trust_domain) const {
        for (const TrustGroup &g : groups) {
            if (g.trust_domain == trust_domain) return &g;
        }
        return nullptr;
    }
    // Verify flags shared by the core's check and configure_ssl_ctx.
    unsigned long verify_flags() const;
};

// Fills a store with `anchors`, every CRL and the policy's verify parameters.
X509StorePtr make_store(const PolicyData &pd, const std::vector<const X509 *> &anchors);

}  // namespace s2s::mtls
