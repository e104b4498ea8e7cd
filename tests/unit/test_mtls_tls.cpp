// test_mtls_tls.cpp: configure_ssl_ctx in real TLS handshakes.
//
// A server SSL_CTX configured by the module and an OpenSSL client talk over a
// socketpair (the client in a thread).  The server then builds a peer from the
// connection's chain as the Redis proxy does: the handshake is the coarse
// check, make_peer + Policy::check the verdict.
#include <csignal>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "policy_util.hpp"

// cmocka last: its macros clash with the standard library headers.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
extern "C" {
#include <cmocka.h>
}

using namespace s2s::testpki;
using s2s::mtls::Policy;

namespace {

struct SslCtxFree { void operator()(SSL_CTX *c) const { SSL_CTX_free(c); } };
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;

struct Fixture {
    std::string dir, bundle, bundle_a, crl_root, crl_inter;
    KeyPtr root_key, inter_key, server_key, client_key, x_key, ta_key;
    CertPtr root, inter, server, client, revoked, x_root, ta_root, cross;
};
Fixture *fx;

int setup(void **) {
    signal(SIGPIPE, SIG_IGN);
    fx = new Fixture;
    Fixture &f = *fx;
    f.dir = make_temp_dir();
    f.root_key = make_key();
    f.root = make_cert(ca_spec("Root"), f.root_key.get(), nullptr, nullptr);
    f.inter_key = make_key();
    f.inter = make_cert(ca_spec("Inter"), f.inter_key.get(), f.root.get(), f.root_key.get());
    f.server_key = make_key();
    CertSpec server = leaf_spec("localhost");
    server.ext_key_usage = "serverAuth";
    server.dns = {"localhost"};
    f.server = make_cert(server, f.server_key.get(), f.root.get(), f.root_key.get());
    f.client_key = make_key();
    f.client = make_cert(leaf_spec("client", "spiffe://example.org/client"), f.client_key.get(),
                         f.inter.get(), f.inter_key.get());
    CertSpec revoked = leaf_spec("revoked", "spiffe://example.org/revoked");
    revoked.serial = 31337;
    f.revoked = make_cert(revoked, f.client_key.get(), f.inter.get(), f.inter_key.get());
    f.x_key = make_key();
    f.x_root = make_cert(ca_spec("Other Root"), f.x_key.get(), nullptr, nullptr);
    f.ta_key = make_key();
    f.ta_root = make_cert(ca_spec("Trust Domain A"), f.ta_key.get(), nullptr, nullptr);
    f.cross = make_cert(leaf_spec("cross", "spiffe://b.example/svc"), f.client_key.get(),
                        f.ta_root.get(), f.ta_key.get());

    f.bundle = f.dir + "/bundle.pem";
    write_file(f.bundle, pem_of(f.root.get()));
    f.bundle_a = f.dir + "/bundle_a.pem";
    write_file(f.bundle_a, pem_of(f.ta_root.get()));
    f.crl_root = f.dir + "/root.crl";
    write_file(f.crl_root, pem_of(make_crl(f.root.get(), f.root_key.get(), {}).get()));
    f.crl_inter = f.dir + "/inter.crl";
    write_file(f.crl_inter, pem_of(make_crl(f.inter.get(), f.inter_key.get(), {31337}).get()));
    return 0;
}

int teardown(void **) {
    remove_dir(fx->dir);
    delete fx;
    return 0;
}

SslCtxPtr server_ctx(const Policy &policy) {
    SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
    assert_non_null(ctx.get());
    assert_int_equal(SSL_CTX_use_certificate(ctx.get(), fx->server.get()), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey(ctx.get(), fx->server_key.get()), 1);
    s2s::Error e = s2s::mtls::configure_ssl_ctx(policy, ctx.get());
    assert_int_equal(e.status, S2S_OK);
    return ctx;
}

// A client presenting `cert` (NULL: none) with `chain` as extra certificates.
SslCtxPtr client_ctx(X509 *cert, EVP_PKEY *key, std::vector<X509 *> chain = {}) {
    SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
    assert_non_null(ctx.get());
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);  // the server is not under test
    if (cert != nullptr) {
        assert_int_equal(SSL_CTX_use_certificate(ctx.get(), cert), 1);
        assert_int_equal(SSL_CTX_use_PrivateKey(ctx.get(), key), 1);
        for (X509 *c : chain) assert_int_equal(SSL_CTX_add1_chain_cert(ctx.get(), c), 1);
    }
    return ctx;
}

struct Outcome {
    bool handshake_ok = false;
    long verify_result = -1;
    std::unique_ptr<s2s_peer> peer;  // NULL if no certificate was presented
};

Outcome handshake(SSL_CTX *server, SSL_CTX *client, const Policy &policy) {
    int fds[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    std::thread client_thread([client, fd = fds[1]] {
        SSL *ssl = SSL_new(client);
        SSL_set_fd(ssl, fd);
        if (SSL_connect(ssl) == 1) {
            char byte;
            (void)SSL_read(ssl, &byte, 1);  // TLS 1.3: a rejection arrives here
        }
        SSL_free(ssl);
        ERR_clear_error();
        close(fd);
    });
    Outcome out;
    SSL *ssl = SSL_new(server);
    SSL_set_fd(ssl, fds[0]);
    out.handshake_ok = SSL_accept(ssl) == 1;
    out.verify_result = SSL_get_verify_result(ssl);
    if (out.handshake_ok) {
        X509 *leaf = SSL_get0_peer_certificate(ssl);
        if (leaf != nullptr) {
            // Server side: the peer chain excludes the leaf.
            std::vector<X509 *> chain{leaf};
            STACK_OF(X509) *rest = SSL_get_peer_cert_chain(ssl);
            for (int i = 0; rest != nullptr && i < sk_X509_num(rest); i++) {
                chain.push_back(sk_X509_value(rest, i));
            }
            out.peer = must_peer(policy, chain, out.verify_result == X509_V_OK);
        }
        (void)SSL_write(ssl, "k", 1);
        (void)SSL_shutdown(ssl);
    }
    SSL_free(ssl);
    ERR_clear_error();
    close(fds[0]);
    client_thread.join();
    return out;
}

void test_required_with_good_cert(void **) {
    Policy p = must_policy({{"trust_bundle", fx->bundle}, {"require_client_cert", "yes"}});
    SslCtxPtr s = server_ctx(p);
    SslCtxPtr c = client_ctx(fx->client.get(), fx->client_key.get(), {fx->inter.get()});
    Outcome o = handshake(s.get(), c.get(), p);
    assert_true(o.handshake_ok);
    assert_int_equal(o.verify_result, X509_V_OK);
    assert_non_null(o.peer.get());
    assert_true(o.peer->trusted);
    assert_string_equal(o.peer->spiffe_id.c_str(), "spiffe://example.org/client");
    assert_int_equal(p.check(o.peer.get()), S2S_REASON_OK);
}

void test_required_without_cert(void **) {
    Policy p = must_policy({{"trust_bundle", fx->bundle}, {"require_client_cert", "yes"}});
    SslCtxPtr s = server_ctx(p);
    SslCtxPtr c = client_ctx(nullptr, nullptr);
    Outcome o = handshake(s.get(), c.get(), p);
    assert_false(o.handshake_ok);
    assert_null(o.peer.get());
}

void test_optional_without_cert(void **) {
    Policy p = must_policy({{"trust_bundle", fx->bundle}});
    SslCtxPtr s = server_ctx(p);
    SslCtxPtr c = client_ctx(nullptr, nullptr);
    Outcome o = handshake(s.get(), c.get(), p);
    assert_true(o.handshake_ok);
    assert_null(o.peer.get());
    assert_int_equal(p.check(nullptr), S2S_REASON_OK);
}

void test_untrusted_cert_rejected(void **) {
    Policy p = must_policy({{"trust_bundle", fx->bundle}});
    SslCtxPtr s = server_ctx(p);
    KeyPtr k = make_key();
    CertPtr self = make_cert(leaf_spec("stranger"), k.get(), fx->x_root.get(), fx->x_key.get());
    SslCtxPtr c = client_ctx(self.get(), k.get());
    Outcome o = handshake(s.get(), c.get(), p);
    assert_false(o.handshake_ok);
    assert_int_equal(o.verify_result, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}

void test_missing_intermediate_rejected(void **) {
    Policy p = must_policy({{"trust_bundle", fx->bundle}, {"require_client_cert", "yes"}});
    SslCtxPtr s = server_ctx(p);
    SslCtxPtr c = client_ctx(fx->client.get(), fx->client_key.get());  // no intermediate sent
    Outcome o = handshake(s.get(), c.get(), p);
    assert_false(o.handshake_ok);
    assert_int_equal(o.verify_result, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}

void test_revoked_cert_rejected(void **) {
    Policy p = must_policy({{"trust_bundle", fx->bundle},
                            {"crl", fx->crl_root},
                            {"crl", fx->crl_inter},
                            {"require_client_cert", "yes"}});
    SslCtxPtr s = server_ctx(p);
    SslCtxPtr good = client_ctx(fx->client.get(), fx->client_key.get(), {fx->inter.get()});
    Outcome ok = handshake(s.get(), good.get(), p);
    assert_true(ok.handshake_ok);
    assert_true(ok.peer->trusted);
    SslCtxPtr bad = client_ctx(fx->revoked.get(), fx->client_key.get(), {fx->inter.get()});
    Outcome o = handshake(s.get(), bad.get(), p);
    assert_false(o.handshake_ok);
    assert_int_equal(o.verify_result, X509_V_ERR_CERT_REVOKED);
}

void test_cross_domain_passes_handshake_not_peer(void **) {
    // The handshake store holds every anchor; the per-domain rule is make_peer's.
    Policy p = must_policy({{"trust_bundle", fx->bundle},
                            {"trust_bundle_spiffe", "a.example " + fx->bundle_a},
                            {"require_client_cert", "yes"}});
    SslCtxPtr s = server_ctx(p);
    SslCtxPtr c = client_ctx(fx->cross.get(), fx->client_key.get());
    Outcome o = handshake(s.get(), c.get(), p);
    assert_true(o.handshake_ok);
    assert_non_null(o.peer.get());
    assert_false(o.peer->trusted);
    assert_int_equal(p.check(o.peer.get()), S2S_REASON_CERT_UNTRUSTED);
}

void test_configure_errors(void **) {
    Policy p = must_policy({{"require_client_cert", "yes"}});
    SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
    s2s::Error e = s2s::mtls::configure_ssl_ctx(p, ctx.get());
    assert_int_equal(e.status, S2S_ERR_CONFIG);
    e = s2s::mtls::configure_ssl_ctx(p, nullptr);
    assert_int_equal(e.status, S2S_ERR_INVALID_ARGUMENT);
    Policy none = must_policy({});
    e = s2s::mtls::configure_ssl_ctx(none, ctx.get());
    assert_int_equal(e.status, S2S_OK);
    assert_int_equal(SSL_CTX_get_verify_mode(ctx.get()), SSL_VERIFY_NONE);
    Policy required = must_policy({{"trust_bundle", fx->bundle}, {"require_client_cert", "yes"}});
    e = s2s::mtls::configure_ssl_ctx(required, ctx.get());
    assert_int_equal(e.status, S2S_OK);
    assert_int_equal(SSL_CTX_get_verify_mode(ctx.get()),
                     SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
    s2s_error err;
    assert_int_equal(s2s_verifier_configure_ssl_ctx(nullptr, ctx.get(), &err),
                     S2S_ERR_INVALID_ARGUMENT);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_required_with_good_cert),
        cmocka_unit_test(test_required_without_cert),
        cmocka_unit_test(test_optional_without_cert),
        cmocka_unit_test(test_untrusted_cert_rejected),
        cmocka_unit_test(test_missing_intermediate_rejected),
        cmocka_unit_test(test_revoked_cert_rejected),
        cmocka_unit_test(test_cross_domain_passes_handshake_not_peer),
        cmocka_unit_test(test_configure_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
