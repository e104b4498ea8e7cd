// chain.cpp: chain verification per trust domain, and the SVID leaf rules.
//
// No verify callback is installed: OpenSSL's own result is the result.  The
// store already carries purpose sslclient, the depth and the CRL flags (see
// make_store), and X509_V_FLAG_PARTIAL_CHAIN is never set, so a chain must run
// from the leaf to a self-signed anchor of the chosen bundle, with every
// certificate valid now.
#include "mtls/chain.hpp"

#include <openssl/err.h>
#include <openssl/x509v3.h>

namespace s2s::mtls {
namespace {

ChainResult verify_with(X509_STORE *store, X509 *leaf, STACK_OF(X509) *untrusted) {
    ChainResult r;
    X509StoreCtxPtr ctx(X509_STORE_CTX_new());
    if (!ctx || X509_STORE_CTX_init(ctx.get(), store, leaf, untrusted) != 1) {
        ERR_clear_error();
        r.verify_error = X509_V_ERR_UNSPECIFIED;
        r.detail = "cannot set up chain verification";
        return r;
    }
    int rc = X509_verify_cert(ctx.get());
    int verify_error = X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();
    if (rc == 1 && verify_error == X509_V_OK) {
        r.ok = true;
        return r;
    }
    r.verify_error = verify_error != X509_V_OK ? verify_error : X509_V_ERR_UNSPECIFIED;
    // X509_verify_cert_error_string returns static strings.
    r.detail = X509_verify_cert_error_string(r.verify_error);
    return r;
}

}  // namespace

ChainResult verify_chain(const PolicyData &pd, X509 *leaf, STACK_OF(X509) *untrusted,
                         std::string_view trust_domain) {
    const TrustGroup *domain = trust_domain.empty() ? nullptr : pd.group(trust_domain);
    const TrustGroup *any = pd.group("");
    if (domain == nullptr && any == nullptr) {
        ChainResult r;
        r.verify_error = X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY;
        r.detail = trust_domain.empty()
                       ? "no trust bundle may vouch for a certificate without a SPIFFE ID"
                       : "no trust bundle for the certificate's trust domain";
        return r;
    }
    ChainResult first;
    if (domain != nullptr) {
        first = verify_with(domain->store.get(), leaf, untrusted);
        if (first.ok || any == nullptr) return first;
    }
    ChainResult second = verify_with(any->store.get(), leaf, untrusted);
    // Report the domain's own failure when both failed: it is the specific one.
    return second.ok || domain == nullptr ? second : first;
}

const char *check_svid_leaf(X509 *leaf) {
    uint32_t flags = X509_get_extension_flags(leaf);
    if (flags & EXFLAG_INVALID) return "leaf has an invalid extension";
    if ((flags & EXFLAG_BCONS) && (flags & EXFLAG_CA)) return "svid leaf is a CA";
    if (!(flags & EXFLAG_KUSAGE)) return "svid leaf has no key usage";
    uint32_t ku = X509_get_key_usage(leaf);
    if (ku & KU_KEY_CERT_SIGN) return "svid leaf has keyCertSign";
    if (ku & KU_CRL_SIGN) return "svid leaf has cRLSign";
    if (!(ku & KU_DIGITAL_SIGNATURE)) return "svid leaf lacks digitalSignature";
    return "";
}

}  // namespace s2s::mtls
