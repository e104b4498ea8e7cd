// test_mtls_verifier.cpp: the mTLS module through the C ABI with a real
// verifier: directives in s2s_config, peers from s2s_peer_new, certificate-bound
// macaroons (cert.sha256, spiffe.id) and mTLS-only policies in s2s_verify.
#include <cstring>
#include <string>

#include <openssl/ssl.h>

#include "pki.hpp"
#include "s2sauth.h"

// cmocka last: its macros clash with the standard library headers.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
extern "C" {
#include <cmocka.h>
}

using namespace s2s::testpki;

namespace {

struct Fixture {
    std::string dir, bundle;
    KeyPtr root_key, leaf_key;
    CertPtr root, good, other, stranger;
    s2s_keyring *kr = nullptr;
};
Fixture *fx;

int setup(void **) {
    fx = new Fixture;
    Fixture &f = *fx;
    f.dir = make_temp_dir();
    f.root_key = make_key();
    f.root = make_cert(ca_spec("Root"), f.root_key.get(), nullptr, nullptr);
    f.leaf_key = make_key();
    f.good = make_cert(leaf_spec("good", "spiffe://example.org/ns/prod/api"), f.leaf_key.get(),
                       f.root.get(), f.root_key.get());
    f.other = make_cert(leaf_spec("other", "spiffe://example.org/ns/dev/api"), f.leaf_key.get(),
                        f.root.get(), f.root_key.get());
    KeyPtr self_key = make_key();
    f.stranger = make_cert(leaf_spec("stranger", "spiffe://example.org/ns/prod/api"),
                           self_key.get(), nullptr, nullptr);
    f.bundle = f.dir + "/bundle.pem";
    write_file(f.bundle, pem_of(f.root.get()));
    s2s_error err;
    if (s2s_keyring_new(&f.kr, &err) != S2S_OK ||
        s2s_keyring_generate(f.kr, "k1", S2S_KEY_ACTIVE, &err) != S2S_OK) {
        return -1;
    }
    return 0;
}

int teardown(void **) {
    s2s_keyring_free(fx->kr);
    remove_dir(fx->dir);
    delete fx;
    return 0;
}

s2s_verifier *verifier(std::initializer_list<std::pair<const char *, std::string>> directives) {
    s2s_error err;
    s2s_config *cfg = nullptr;
    assert_int_equal(s2s_config_new(&cfg, &err), S2S_OK);
    assert_int_equal(s2s_config_set_keyring(cfg, fx->kr, &err), S2S_OK);
    for (const auto &[name, value] : directives) {
        assert_int_equal(s2s_config_set(cfg, name, value.c_str(), &err), S2S_OK);
    }
    s2s_verifier *v = nullptr;
    s2s_status st = s2s_verifier_new(cfg, &v, &err);
    s2s_config_free(cfg);
    if (st != S2S_OK) std::fprintf(stderr, "verifier: %s: %s\n", err.message, err.detail);
    assert_int_equal(st, S2S_OK);
    return v;
}

s2s_peer *peer(const s2s_verifier *v, X509 *cert, int host_verified = 0) {
    std::string der = der_of(cert);
    const unsigned char *ders[] = {reinterpret_cast<const unsigned char *>(der.data())};
    size_t lens[] = {der.size()};
    s2s_peer *p = nullptr;
    s2s_error err;
    assert_int_equal(s2s_peer_new(v, ders, lens, 1, host_verified, &p, &err), S2S_OK);
    return p;
}

std::string mint(std::initializer_list<std::string> caveats) {
    s2s_error err;
    s2s_macaroon *m = nullptr;
    assert_int_equal(s2s_mint(fx->kr, nullptr, nullptr, &m, &err), S2S_OK);
    for (const std::string &c : caveats) {
        assert_int_equal(s2s_macaroon_add_first_party_caveat(m, c.data(), c.size(), &err), S2S_OK);
    }
    char *out = nullptr;
    size_t len = 0;
    assert_int_equal(s2s_macaroon_serialize(m, S2S_FORMAT_V2, &out, &len, &err), S2S_OK);
    std::string token(out, len);
    s2s_free(out);
    s2s_macaroon_free(m);
    return token;
}

// Verifies `token` (empty: no credential) with `p` as the connection's peer.
s2s_reason verify(const s2s_verifier *v, const std::string &token, const s2s_peer *p,
                  std::string *identity = nullptr) {
    s2s_error err;
    s2s_context *ctx = nullptr;
    s2s_decision *d = nullptr;
    assert_int_equal(s2s_context_new(&ctx, &err), S2S_OK);
    assert_int_equal(s2s_decision_new(&d, &err), S2S_OK);
    s2s_context_set_peer(ctx, p);
    assert_int_equal(s2s_verify(v, ctx, token.empty() ? nullptr : token.data(), token.size(), d, &err),
                     S2S_OK);
    s2s_reason r = s2s_decision_reason(d);
    assert_int_equal(s2s_decision_allowed(d), r == S2S_REASON_OK);
    if (identity != nullptr) *identity = s2s_decision_identity(d);
    s2s_decision_free(d);
    s2s_context_free(ctx);
    return r;
}

void test_cert_bound_token(void **) {
    s2s_verifier *v = verifier({{"trust_bundle", fx->bundle}});
    s2s_peer *good = peer(v, fx->good.get());
    s2s_peer *other = peer(v, fx->other.get());
    s2s_peer *stranger = peer(v, fx->stranger.get(), 1);  // host says yes; the core says no
    assert_int_equal(s2s_peer_trusted(good), 1);
    assert_int_equal(s2s_peer_trusted(other), 1);
    assert_int_equal(s2s_peer_trusted(stranger), 0);

    std::string bound = mint({std::string("cert.sha256 = ") + s2s_peer_cert_sha256(good)});
    assert_int_equal(verify(v, bound, good), S2S_REASON_OK);
    assert_int_equal(verify(v, bound, nullptr), S2S_REASON_CERT_REQUIRED);
    assert_int_equal(verify(v, bound, stranger), S2S_REASON_CERT_UNTRUSTED);
    assert_int_equal(verify(v, bound, other), S2S_REASON_CERT_MISMATCH);

    std::string by_spiffe = mint({"spiffe.id prefix spiffe://example.org/ns/prod"});
    assert_int_equal(verify(v, by_spiffe, good), S2S_REASON_OK);
    assert_int_equal(verify(v, by_spiffe, other), S2S_REASON_CERT_MISMATCH);
    assert_int_equal(verify(v, by_spiffe, nullptr), S2S_REASON_CERT_REQUIRED);

    std::string unbound = mint({"time < 2099-01-01T00:00:00Z"});
    assert_int_equal(verify(v, unbound, nullptr), S2S_REASON_OK);
    assert_int_equal(verify(v, unbound, good), S2S_REASON_OK);
    // An optional certificate that is presented and fails verification denies,
    // even with a token that does not need it.
    assert_int_equal(verify(v, unbound, stranger), S2S_REASON_CERT_UNTRUSTED);
    // A certificate alone never authorizes without a requirement or allowlist.
    assert_int_equal(verify(v, "", good), S2S_REASON_NO_CREDENTIAL);

    s2s_peer_free(good);
    s2s_peer_free(other);
    s2s_peer_free(stranger);
    s2s_verifier_free(v);
}

void test_mtls_only_policy(void **) {
    s2s_verifier *v = verifier({{"trust_bundle", fx->bundle},
                                {"require_client_cert", "yes"},
                                {"allow_spiffe_prefix", "spiffe://example.org/ns/prod"}});
    s2s_peer *good = peer(v, fx->good.get());
    s2s_peer *other = peer(v, fx->other.get());
    s2s_peer *stranger = peer(v, fx->stranger.get(), 1);
    std::string identity;
    assert_int_equal(verify(v, "", good, &identity), S2S_REASON_OK);
    assert_string_equal(identity.c_str(), "spiffe://example.org/ns/prod/api");
    assert_int_equal(verify(v, "", nullptr), S2S_REASON_CERT_REQUIRED);
    assert_int_equal(verify(v, "", other), S2S_REASON_CERT_POLICY);
    assert_int_equal(verify(v, "", stranger), S2S_REASON_CERT_UNTRUSTED);
    // A valid token does not rescue a certificate the policy refuses.
    std::string token = mint({"time < 2099-01-01T00:00:00Z"});
    assert_int_equal(verify(v, token, other), S2S_REASON_CERT_POLICY);
    assert_int_equal(verify(v, token, good), S2S_REASON_OK);

    SSL_CTX *ssl_ctx = SSL_CTX_new(TLS_server_method());
    s2s_error err;
    assert_int_equal(s2s_verifier_configure_ssl_ctx(v, ssl_ctx, &err), S2S_OK);
    assert_int_equal(SSL_CTX_get_verify_mode(ssl_ctx),
                     SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
    SSL_CTX_free(ssl_ctx);

    s2s_peer_free(good);
    s2s_peer_free(other);
    s2s_peer_free(stranger);
    s2s_verifier_free(v);
}

void test_config_errors(void **) {
    s2s_error err;
    s2s_config *cfg = nullptr;
    assert_int_equal(s2s_config_new(&cfg, &err), S2S_OK);
    assert_int_equal(s2s_config_set_keyring(cfg, fx->kr, &err), S2S_OK);
    assert_int_equal(s2s_config_set(cfg, "verify_depth", "zero", &err), S2S_ERR_CONFIG);
    assert_int_equal(s2s_config_set(cfg, "allow_spiffe_id", "spiffe://x/", &err), S2S_ERR_CONFIG);
    std::string missing = fx->dir + "/no-such-bundle.pem";
    assert_int_equal(s2s_config_set(cfg, "trust_bundle", missing.c_str(), &err), S2S_OK);
    s2s_verifier *v = nullptr;
    assert_int_equal(s2s_verifier_new(cfg, &v, &err), S2S_ERR_CONFIG);
    assert_null(v);
    assert_non_null(std::strstr(err.detail, "no-such-bundle.pem"));
    s2s_config_free(cfg);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cert_bound_token),
        cmocka_unit_test(test_mtls_only_policy),
        cmocka_unit_test(test_config_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
