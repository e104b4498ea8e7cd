// chain.hpp: the core's own judgement of a client chain.
//
// verify_chain builds the chain with OpenSSL against the one trust store that
// may vouch for the leaf's identity; check_svid_leaf applies the X.509-SVID
// rules that OpenSSL does not know.  Both answer with a static reason string
// and never turn an OpenSSL failure into a success.
#pragma once

#include <openssl/x509.h>

#include "mtls/policy_data.hpp"

namespace s2s::mtls {

struct ChainResult {
    bool ok = false;
    int verify_error = 0;     // X509_V_ERR_*, 0 when ok
    const char *detail = "";  // static, for logs
};

// Verifies `leaf` with `untrusted` intermediates against the stores that may
// vouch for it: the trust domain's bundle (when trust_domain is not empty and
// such a bundle exists), then the unrestricted bundle.
ChainResult verify_chain(const PolicyData &pd, X509 *leaf, STACK_OF(X509) *untrusted,
                         std::string_view trust_domain);

// The SVID leaf rules: not a CA, key usage present with digitalSignature and
// without keyCertSign or cRLSign.  Returns "" when the leaf passes.
const char *check_svid_leaf(X509 *leaf);

}  // namespace s2s::mtls
