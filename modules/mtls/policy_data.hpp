// policy_data.hpp: what an mTLS Policy holds (private to the module).
//
// Trust bundles are kept per trust domain: each bundle becomes its own
// X509_STORE, so a chain is only ever built against the anchors that may vouch
// for the identity the leaf claims.  The stores are filled once by finish()
// and only read afterwards, which X509_STORE allows from many threads.
#pragma once

#include <string>
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

struct PolicyData {
    std::vector<TrustGroup> groups;
    std::vector<std::string> crl_files;
    std::vector<X509CrlPtr> crls;

    bool require_client_cert = false;
    bool require_spiffe_id = false;
    int verify_depth = kDefaultVerifyDepth;
    bool finished = false;

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
