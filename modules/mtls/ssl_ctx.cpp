// ssl_ctx.cpp: the same trust policy applied to an OpenSSL SSL_CTX, for hosts
// that terminate TLS with the core (the Redis proxy).
//
// The handshake check is the coarse one: every configured anchor in one
// store, purpose sslclient, depth and CRLs.  The per-trust-domain rule, the
// SVID leaf rules and the allowlists are then applied by make_peer and
// Policy::check on the connection's chain, so a handshake that succeeds is
// never taken as the verdict by itself.
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "mtls/policy_data.hpp"

namespace s2s::mtls {

Error configure_ssl_ctx(const Policy &policy, void *ssl_ctx_ptr) {
    auto *ctx = static_cast<SSL_CTX *>(ssl_ctx_ptr);
    if (ctx == nullptr) return make_error(S2S_ERR_INVALID_ARGUMENT, "ssl_ctx is NULL");
    const PolicyData &pd = *policy.data();
    if (pd.groups.empty()) {
        if (pd.require_client_cert || policy.has_allowlist()) {
            return make_error(S2S_ERR_CONFIG, "client certificates required but no trust bundle",
                              "require_client_cert or an allow_* directive is set",
                              "add trust_bundle or trust_bundle_spiffe");
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
        return {};
    }
    std::vector<const X509 *> anchors;
    for (const TrustGroup &g : pd.groups) {
        for (const X509Ptr &a : g.anchors) anchors.push_back(a.get());
    }
    X509StorePtr store = make_store(pd, anchors);
    if (!store) {
        ERR_clear_error();
        return make_error(S2S_ERR_CRYPTO, "cannot build the TLS trust store");
    }
    // Tell clients which CAs we accept, so they pick the right certificate.
    for (const X509 *anchor : anchors) {
        if (SSL_CTX_add_client_CA(ctx, const_cast<X509 *>(anchor)) != 1) {
            ERR_clear_error();
            return make_error(S2S_ERR_CRYPTO, "cannot set the acceptable client CA list");
        }
    }
    SSL_CTX_set_cert_store(ctx, store.release());  // the context owns it now
    if (SSL_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT) != 1) {
        ERR_clear_error();
        return make_error(S2S_ERR_CRYPTO, "cannot set the sslclient purpose");
    }
    SSL_CTX_set_verify_depth(ctx, pd.verify_depth);
    int mode = SSL_VERIFY_PEER;
    if (pd.require_client_cert || policy.has_allowlist()) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    // No callback: OpenSSL's verdict stands, a failure is never turned into success.
    SSL_CTX_set_verify(ctx, mode, nullptr);
    return {};
}

}  // namespace s2s::mtls
