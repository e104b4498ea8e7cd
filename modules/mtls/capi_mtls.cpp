// capi_mtls.cpp: the C ABI of the mTLS module (s2s_peer_*, SSL_CTX helper).
//
// Nothing thrown may cross into C: each entry point runs under s2s::guarded,
// which reports S2S_ERR_NO_MEMORY or S2S_ERR_INTERNAL through s2s_error.
#include "guard.hpp"
#include "mtls/mtls.hpp"

namespace {

// A verifier of NULL means "no policy": trust rests on the host's verdict.
// The CLI uses that to fingerprint a certificate (mint --bind-cert).
const s2s::mtls::Policy &policy_of(const s2s_verifier *v) {
    static const s2s::mtls::Policy no_policy;
    if (v == nullptr) return no_policy;
    const s2s::mtls::Policy *p = s2s::verifier_policy(v);
    return p != nullptr ? *p : no_policy;
}

}  // namespace

extern "C" {

S2S_API s2s_status s2s_peer_new(const s2s_verifier *v, const unsigned char *const *certs_der,
                                const size_t *lens, size_t count, int host_verified,
                                s2s_peer **out, s2s_error *err) {
    if (out == nullptr) {
        return s2s::export_error(S2S_ERR_INVALID_ARGUMENT, "out is NULL", "", "", err);
    }
    *out = nullptr;
    return s2s::guarded(err, [&]() -> s2s_status {
        s2s_peer *peer = nullptr;
        s2s::Error e = s2s::mtls::make_peer(policy_of(v), certs_der, lens, count,
                                            host_verified != 0, peer);
        if (e) return s2s::export_error(e, err);
        *out = peer;
        return S2S_OK;
    });
}

S2S_API s2s_status s2s_peer_new_pem(const s2s_verifier *v, const char *pem, size_t len,
                                    int host_verified, s2s_peer **out, s2s_error *err) {
    if (out == nullptr || (pem == nullptr && len != 0)) {
        return s2s::export_error(S2S_ERR_INVALID_ARGUMENT, "out or pem is NULL", "", "", err);
    }
    *out = nullptr;
    return s2s::guarded(err, [&]() -> s2s_status {
        s2s_peer *peer = nullptr;
        s2s::Error e = s2s::mtls::make_peer_pem(policy_of(v), std::string_view(pem, len),
                                                host_verified != 0, peer);
        if (e) return s2s::export_error(e, err);
        *out = peer;
        return S2S_OK;
    });
}

S2S_API int s2s_peer_trusted(const s2s_peer *p) { return p != nullptr && p->trusted ? 1 : 0; }

S2S_API const char *s2s_peer_spiffe_id(const s2s_peer *p) {
    return p != nullptr ? p->spiffe_id.c_str() : "";
}

S2S_API const char *s2s_peer_cert_sha256(const s2s_peer *p) {
    return p != nullptr ? p->cert_sha256.c_str() : "";
}

S2S_API void s2s_peer_free(s2s_peer *p) { delete p; }

S2S_API s2s_status s2s_verifier_configure_ssl_ctx(const s2s_verifier *v, void *ssl_ctx,
                                                  s2s_error *err) {
    if (v == nullptr || ssl_ctx == nullptr) {
        return s2s::export_error(S2S_ERR_INVALID_ARGUMENT, "verifier or ssl_ctx is NULL", "", "",
                                 err);
    }
    return s2s::guarded(err, [&]() -> s2s_status {
        const s2s::mtls::Policy *policy = s2s::verifier_policy(v);
        if (policy == nullptr) {
            return s2s::export_error(S2S_ERR_INTERNAL, "verifier has no policy", "", "", err);
        }
        s2s::Error e = s2s::mtls::configure_ssl_ctx(*policy, ssl_ctx);
        if (e) return s2s::export_error(e, err);
        return S2S_OK;
    });
}

}  // extern "C"
