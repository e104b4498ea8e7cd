// mtls.hpp: client-certificate facts and policy (the mTLS module's boundary).
//
// The verifier owns one immutable Policy, built from configuration directives.
// A host turns a client's chain into an s2s_peer once per connection; every
// request on that connection then reuses the peer's facts (leaf hash, SPIFFE
// ID, verification result) without touching OpenSSL again.
//
// Module note: s2s_peer carries more facts than the first sketch (why a chain
// is untrusted, why a SPIFFE ID is absent, the OpenSSL verify error) so that
// logs and tests can name the exact rule a certificate broke.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mtls/spiffe_id.hpp"
#include "result.hpp"
#include "s2sauth.h"

namespace s2s::mtls {

struct PolicyData;  // defined by the module: trust bundles, CRLs, allowlists

// Limits on what a peer may present.
inline constexpr size_t kMaxChainCerts = 16;
inline constexpr size_t kMaxCertBytes = 65536;
inline constexpr size_t kMaxPemBytes = kMaxChainCerts * kMaxCertBytes * 2;
inline constexpr int kDefaultVerifyDepth = 5;
inline constexpr int kMaxVerifyDepth = 16;

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
    // Whether any trust bundle is configured (then the core verifies chains).
    bool has_trust_bundle() const;

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

// What the leaf's URI SANs say about its SPIFFE ID.
enum class SpiffeStatus {
    kAbsent,           // no URI SAN
    kValid,            // exactly one URI SAN, a valid SPIFFE ID
    kMultipleUriSans,  // more than one URI SAN: no SPIFFE ID, by the SVID rules
    kInvalid,          // one URI SAN that is not a valid SPIFFE ID (see spiffe_rule)
};

}  // namespace s2s::mtls

namespace s2s {
// The policy of a verifier; implemented by the core (verifier.cpp).  Never NULL
// for a non-NULL verifier.
const mtls::Policy *verifier_policy(const s2s_verifier *v);
}  // namespace s2s

// Per-connection facts about a client certificate.
struct s2s_peer {
    bool trusted = false;          // every configured check of the chain passed
    s2s_reason untrusted_reason = S2S_REASON_CERT_UNTRUSTED;
    // Why the peer is not trusted (static string, for logs); "" when trusted.
    const char *untrusted_detail = "";
    int chain_error = 0;           // X509_V_ERR_* of the core's chain check; 0 if none
    std::string cert_sha256;       // x5t#S256: base64url(SHA-256(leaf DER)), no padding
    std::string spki_sha256;       // base64url(SHA-256(leaf SubjectPublicKeyInfo DER))
    std::string spiffe_id;         // "" if the leaf has no valid SPIFFE ID
    std::string trust_domain;      // the SPIFFE ID's trust domain, "" if none
    s2s::mtls::SpiffeStatus spiffe_status = s2s::mtls::SpiffeStatus::kAbsent;
    s2s::mtls::SpiffeRule spiffe_rule = s2s::mtls::SpiffeRule::kOk;  // for kInvalid
    std::string subject;           // RFC 2253 one line
    std::vector<std::string> dns_sans;  // a SAN containing NUL is dropped
};
