// bench_mtls.cpp: the per-connection cost of a client certificate, and the
// per-request cost of binding a macaroon to it.
//
//  - mtls_chain_verify_<alg>: make_peer on a leaf + intermediate chain (DER
//    parse, x5t#S256, SPKI pin, SANs, SPIFFE ID, chain verification against a
//    root bundle), against the reference of a bare X509_verify_cert over the
//    same, already parsed, chain and store in the same run.
//  - mtls_bound_verify: s2s_verify of a 5-caveat token whose fifth caveat is
//    `cert.sha256 = <x5t#S256>`, against the same token with an ordinary fifth
//    caveat, the peer (and so the leaf hash) computed once per connection.
//    Target: ratio >= 0.90.
//
// The test PKI is generated at start (tests/pki); every call is checked, so a
// failing verification cannot look fast.
//
//   build/integration/bench/bench_mtls [seconds-per-case]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <openssl/x509_vfy.h>

#include "mtls/policy_data.hpp"
#include "pki.hpp"
#include "policy_util.hpp"

using namespace s2s::testpki;

namespace {

double g_seconds = 1.0;

// Thread CPU time: the machine is shared, and descheduled time is not ours.
double cpu_s() {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

[[noreturn]] void failed() {
    std::fprintf(stderr, "bench_mtls: a verification failed; numbers would be meaningless\n");
    std::exit(1);
}

// Runs `a` and `b` in alternating batches until each has had g_seconds of CPU,
// so both see the same machine; returns their calls per CPU-second.
std::pair<double, double> compare(const std::function<bool()> &a, const std::function<bool()> &b,
                                  int batch) {
    double spent[2] = {0, 0};
    long long calls[2] = {0, 0};
    const std::function<bool()> *fns[2] = {&a, &b};
    while (spent[0] < g_seconds || spent[1] < g_seconds) {
        for (int which = 0; which < 2; which++) {
            double start = cpu_s();
            for (int i = 0; i < batch; i++) {
                if (!(*fns[which])()) failed();
            }
            spent[which] += cpu_s() - start;
            calls[which] += batch;
        }
    }
    return {double(calls[0]) / spent[0], double(calls[1]) / spent[1]};
}

void check(s2s_status st, const s2s_error &err, const char *what) {
    if (st != S2S_OK) {
        std::fprintf(stderr, "bench_mtls: %s: %s (%s)\n", what, err.message, err.detail);
        std::exit(1);
    }
}

void bench_chain(const char *label, KeyType type) {
    std::string dir = make_temp_dir();
    KeyPtr root_key = make_key(type), inter_key = make_key(type), leaf_key = make_key(type);
    CertPtr root = make_cert(ca_spec("Bench Root"), root_key.get(), nullptr, nullptr);
    CertPtr inter = make_cert(ca_spec("Bench Inter"), inter_key.get(), root.get(), root_key.get());
    CertPtr leaf = make_cert(leaf_spec("bench", "spiffe://example.org/bench"), leaf_key.get(),
                             inter.get(), inter_key.get());
    write_file(dir + "/bundle.pem", pem_of(root.get()));
    s2s::mtls::Policy policy = must_policy({{"trust_bundle", dir + "/bundle.pem"}});

    std::string leaf_der = der_of(leaf.get()), inter_der = der_of(inter.get());
    const unsigned char *ders[] = {reinterpret_cast<const unsigned char *>(leaf_der.data()),
                                   reinterpret_cast<const unsigned char *>(inter_der.data())};
    size_t lens[] = {leaf_der.size(), inter_der.size()};
    auto make_peer = [&] {
        s2s_peer *p = nullptr;
        s2s::Error e = s2s::mtls::make_peer(policy, ders, lens, 2, false, p);
        bool ok = !e && p->trusted;
        delete p;
        return ok;
    };
    // Reference: OpenSSL alone, certificates parsed once, same store.
    X509_STORE *store = policy.data()->group("")->store.get();
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    sk_X509_push(untrusted, inter.get());
    auto verify_cert = [&] {
        X509_STORE_CTX *ctx = X509_STORE_CTX_new();
        bool ok = ctx != nullptr && X509_STORE_CTX_init(ctx, store, leaf.get(), untrusted) == 1 &&
                  X509_verify_cert(ctx) == 1;
        X509_STORE_CTX_free(ctx);
        return ok;
    };
    // Where the rest goes: decoding the two certificates (OpenSSL 3 decodes
    // the public key while parsing).
    auto parse = [&] {
        bool ok = true;
        for (int i = 0; i < 2; i++) {
            const unsigned char *cursor = ders[i];
            X509 *x = d2i_X509(nullptr, &cursor, long(lens[i]));
            ok = ok && x != nullptr;
            X509_free(x);
        }
        return ok;
    };
    auto [ours, reference] = compare(make_peer, verify_cert, 50);
    auto [parsed, reference2] = compare(parse, verify_cert, 50);
    (void)reference2;
    sk_X509_free(untrusted);
    std::printf("mtls_chain_verify_%s per_s=%.0f openssl_verify_cert_per_s=%.0f ratio=%.2f "
                "der_parse_2certs_per_s=%.0f\n",
                label, ours, reference, ours / reference, parsed);
    remove_dir(dir);
}

void bench_bound_token() {
    s2s_error err;
    s2s_keyring *kr = nullptr;
    check(s2s_keyring_new(&kr, &err), err, "keyring");
    check(s2s_keyring_generate(kr, "bench", S2S_KEY_ACTIVE, &err), err, "keygen");
    s2s_config *cfg = nullptr;
    check(s2s_config_new(&cfg, &err), err, "config");
    check(s2s_config_set_keyring(cfg, kr, &err), err, "set keyring");
    check(s2s_config_set(cfg, "service", "orders", &err), err, "service");
    s2s_verifier *v = nullptr;
    check(s2s_verifier_new(cfg, &v, &err), err, "verifier");

    // One connection: the peer is built once, as a host does at handshake time.
    KeyPtr ca_key = make_key(), leaf_key = make_key();
    CertPtr ca = make_cert(ca_spec("Bench CA"), ca_key.get(), nullptr, nullptr);
    CertPtr leaf = make_cert(leaf_spec("bench", "spiffe://example.org/bench"), leaf_key.get(),
                             ca.get(), ca_key.get());
    std::string der = der_of(leaf.get());
    const unsigned char *ders[] = {reinterpret_cast<const unsigned char *>(der.data())};
    size_t lens[] = {der.size()};
    s2s_peer *peer = nullptr;
    check(s2s_peer_new(v, ders, lens, 1, 1, &peer, &err), err, "peer");

    const std::string bind = std::string("cert.sha256 = ") + s2s_peer_cert_sha256(peer);
    const char *common[] = {"time < 2099-01-01T00:00:00Z", "service = orders",
                            "http.method in GET,HEAD", "client.ip in 127.0.0.0/8,::1/128"};
    auto mint = [&](const std::string &fifth) {
        s2s_macaroon *m = nullptr;
        check(s2s_mint(kr, nullptr, nullptr, &m, &err), err, "mint");
        for (const char *c : common) {
            check(s2s_macaroon_add_first_party_caveat(m, c, std::strlen(c), &err), err, "caveat");
        }
        check(s2s_macaroon_add_first_party_caveat(m, fifth.data(), fifth.size(), &err), err, "caveat");
        char *out = nullptr;
        size_t len = 0;
        check(s2s_macaroon_serialize(m, S2S_FORMAT_V2, &out, &len, &err), err, "serialize");
        std::string token(out, len);
        s2s_free(out);
        s2s_macaroon_free(m);
        return token;
    };
    std::string bound = mint(bind), unbound = mint("http.path prefix /v1/orders");

    s2s_context *ctx = nullptr;
    check(s2s_context_new(&ctx, &err), err, "context");
    s2s_decision *d = nullptr;
    check(s2s_decision_new(&d, &err), err, "decision");
    auto verify = [&](const std::string &token) {
        s2s_context_reset(ctx);
        s2s_context_set(ctx, S2S_ATTR_HTTP_METHOD, "GET", 3);
        s2s_context_set(ctx, S2S_ATTR_HTTP_PATH, "/v1/orders/7", 12);
        s2s_context_set(ctx, S2S_ATTR_CLIENT_IP, "127.0.0.1", 9);
        s2s_context_set_peer(ctx, peer);
        return s2s_verify(v, ctx, token.data(), token.size(), d, &err) == S2S_OK &&
               s2s_decision_allowed(d);
    };
    if (!verify(bound) || !verify(unbound)) {
        std::fprintf(stderr, "bench_mtls: token denied: %s\n", s2s_decision_detail(d));
        std::exit(1);
    }
    auto [r_bound, r_unbound] =
        compare([&] { return verify(bound); }, [&] { return verify(unbound); }, 2000);
    std::printf("mtls_bound_verify_5caveats bound_per_s=%.0f unbound_per_s=%.0f ratio=%.2f\n",
                r_bound, r_unbound, r_bound / r_unbound);

    // Another certificate on the connection: the bound token must be refused.
    CertPtr other = make_cert(leaf_spec("other"), leaf_key.get(), ca.get(), ca_key.get());
    std::string other_der = der_of(other.get());
    const unsigned char *other_ders[] = {reinterpret_cast<const unsigned char *>(other_der.data())};
    size_t other_lens[] = {other_der.size()};
    s2s_peer *other_peer = nullptr;
    check(s2s_peer_new(v, other_ders, other_lens, 1, 1, &other_peer, &err), err, "peer");
    s2s_peer_free(peer);
    peer = other_peer;
    if (verify(bound) || s2s_decision_reason(d) != S2S_REASON_CERT_MISMATCH) {
        std::fprintf(stderr, "bench_mtls: a bound token passed with another certificate\n");
        std::exit(1);
    }

    s2s_peer_free(peer);
    s2s_decision_free(d);
    s2s_context_free(ctx);
    s2s_verifier_free(v);
    s2s_config_free(cfg);
    s2s_keyring_free(kr);
}

}  // namespace

int main(int argc, char **argv) {
    if (argc > 1) g_seconds = std::atof(argv[1]);
    if (!(g_seconds > 0 && g_seconds <= 60)) {
        std::fprintf(stderr, "usage: bench_mtls [seconds-per-case, at most 60]\n");
        return 2;
    }
    bench_chain("p256", KeyType::kP256);
    bench_chain("rsa2048", KeyType::kRsa2048);
    bench_bound_token();
    return 0;
}
