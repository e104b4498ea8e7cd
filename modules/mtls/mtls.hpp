// mtls.hpp: client-certificate facts and policy (the mTLS module's boundary).
//
// The verifier owns one immutable Policy, built from configuration directives.
// A host turns a client's chain into an s2s_peer once per connection; every
// request on that connection then reuses the peer's facts (leaf hash, SPIFFE
// ID, verification result) without touching OpenSSL again.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "result.hpp"
#include "s2sauth.h"

namespace s2s::mtls {

struct PolicyData;  // defined by the module: trust bundles, CRLs, allowlists

class Policy {
public:
    Policy();
    ~Policy();
    Policy(Policy &&) noexcept;
    Policy &operator=(Policy &&) noexcept;

    // Applies one configuration directive.  Returns true if `name` is an mTLS
    // directive (then `err` tells whether its value was good), false if the
    // name is not the module's.
    bool set(std::string_view name, std::string_view value, Error &err);
    // Loads the files the directives named; called once when the verifier is built.
    Error finish();

    // Whether requests must present a trusted client certificate.
    bool requires_client_cert() const;
    // Whether any allowlist is configured (then a certificate must match one).
    bool has_allowlist() const;

    // Judges a peer (NULL: none) against the policy; S2S_REASON_OK if admitted.
    s2s_reason check(const s2s_peer *peer) const;

    const PolicyData *data() const { return data_.get(); }

private:
    std::unique_ptr<PolicyData> data_;
};

// Builds a peer from DER certificates (leaf first).
Error make_peer(const Policy &policy, const unsigned char *const *certs_der, const size_t *lens,
                size_t count, bool host_verified, s2s_peer *&out);
Error make_peer_pem(const Policy &policy, std::string_view pem, bool host_verified,
                    s2s_peer *&out);

Error configure_ssl_ctx(const Policy &policy, void *ssl_ctx);

}  // namespace s2s::mtls

// Per-connection facts about a client certificate.
struct s2s_peer {
    bool trusted = false;          // every configured check of the chain passed
    s2s_reason untrusted_reason = S2S_REASON_CERT_UNTRUSTED;
    std::string cert_sha256;       // x5t#S256: base64url(SHA-256(leaf DER)), no padding
    std::string spki_sha256;       // base64url(SHA-256(leaf SubjectPublicKeyInfo DER))
    std::string spiffe_id;         // "" if the leaf has no valid SPIFFE ID
    std::string subject;           // RFC 2253 one line
    std::vector<std::string> dns_sans;
};
