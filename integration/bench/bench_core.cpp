// bench_core.cpp: deserialize + verify throughput of s2sauth against the
// references measured in the same run: Debian's libmacaroons (V1), the raw
// HMAC-SHA256 chain (the floor), and JWT HS256 / ES256 through libjwt.
//
// Rates are calls per CPU-second of one thread, with the compared functions run
// in alternating batches, so a loaded machine skews both alike.  Every call's
// result is checked, so a benchmark that silently denies cannot look fast.
//
//   build/integration/bench/bench_core [seconds-per-case]
#include <jwt.h>
#include <macaroons.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include "crypto.hpp"
#include "s2sauth.h"

namespace {

double g_seconds = 1.0;

// CPU time of this thread: on a loaded machine, wall time measures the other
// processes as much as the code under test.
double cpu_s() {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

bool run_batch(const std::function<bool()> &fn, double &spent) {
    double start = cpu_s();
    for (int i = 0; i < 500; i++) {
        if (!fn()) return false;
    }
    spent += cpu_s() - start;
    return true;
}

// Calls per CPU-second of each function, measured in alternating batches so
// that both see the same machine; the whole takes about g_seconds of CPU.
std::vector<double> rates(const std::vector<std::function<bool()>> &fns) {
    std::vector<double> spent(fns.size(), 0.0);
    std::vector<long long> calls(fns.size(), 0);
    double warm = 0;
    for (const auto &fn : fns) {
        if (!run_batch(fn, warm)) {
            std::fprintf(stderr, "bench: a verification failed; numbers would be meaningless\n");
            std::exit(1);
        }
    }
    double total = 0;
    while (total < g_seconds) {
        for (size_t i = 0; i < fns.size(); i++) {
            double before = spent[i];
            if (!run_batch(fns[i], spent[i])) {
                std::fprintf(stderr, "bench: a verification failed during timing\n");
                std::exit(1);
            }
            calls[i] += 500;
            total += spent[i] - before;
        }
    }
    std::vector<double> out;
    for (size_t i = 0; i < fns.size(); i++) out.push_back(double(calls[i]) / spent[i]);
    return out;
}

double rate(const std::function<bool()> &fn) { return rates({fn})[0]; }

void check(s2s_status st, const s2s_error &err, const char *what) {
    if (st != S2S_OK) {
        std::fprintf(stderr, "bench: %s: %s (%s)\n", what, err.message, err.detail);
        std::exit(1);
    }
}

const unsigned char kRootKey[] = "this is the benchmark root key, 32+ bytes";
const char kIdentifier[] = "bench-token-0001";
const char *kCaveats[] = {
    "time < 2099-01-01T00:00:00Z",
    "service = orders",
    "http.method in GET,HEAD",
    "http.path prefix /v1/orders",
    "client.ip in 127.0.0.0/8,::1/128",
};

std::string write_root_key_file() {
    char path[] = "/tmp/s2s-bench-key-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, kRootKey, sizeof kRootKey - 1) != ssize_t(sizeof kRootKey - 1)) {
        std::perror("bench: root key file");
        std::exit(1);
    }
    fchmod(fd, 0600);
    close(fd);
    return path;
}

struct S2S {
    s2s_verifier *v = nullptr;
    s2s_context *ctx = nullptr;
    s2s_decision *d = nullptr;

    explicit S2S(const std::string &key_file) {
        s2s_error err{};
        s2s_config *cfg = nullptr;
        check(s2s_config_new(&cfg, &err), err, "config");
        check(s2s_config_set(cfg, "root_key_file", key_file.c_str(), &err), err, "root_key_file");
        check(s2s_config_set(cfg, "service", "orders", &err), err, "service");
        check(s2s_verifier_new(cfg, &v, &err), err, "verifier");
        s2s_config_free(cfg);
        check(s2s_context_new(&ctx, &err), err, "context");
        check(s2s_decision_new(&d, &err), err, "decision");
    }
    ~S2S() {
        s2s_decision_free(d);
        s2s_context_free(ctx);
        s2s_verifier_free(v);
    }
    // The facts an HTTP host supplies per request.
    void request_context() {
        s2s_context_reset(ctx);
        s2s_context_set(ctx, S2S_ATTR_HTTP_METHOD, "GET", 3);
        s2s_context_set(ctx, S2S_ATTR_HTTP_PATH, "/v1/orders/7", 12);
        s2s_context_set(ctx, S2S_ATTR_CLIENT_IP, "127.0.0.1", 9);
    }
    bool verify(const std::string &token) {
        request_context();
        s2s_error err{};
        return s2s_verify(v, ctx, token.data(), token.size(), d, &err) == S2S_OK &&
               s2s_decision_allowed(d);
    }
};

std::string serialize(s2s_macaroon *m, s2s_format f) {
    char *text = nullptr;
    s2s_error err{};
    check(s2s_macaroon_serialize(m, f, &text, nullptr, &err), err, "serialize");
    std::string out = text;
    s2s_free(text);
    return out;
}

s2s_macaroon *make_token(const char *const *caveats, size_t n) {
    s2s_error err{};
    s2s_macaroon *m = nullptr;
    check(s2s_macaroon_create(kRootKey, sizeof kRootKey - 1,
                              reinterpret_cast<const unsigned char *>(kIdentifier),
                              sizeof kIdentifier - 1, "https://bench.example", &m, &err),
          err, "create");
    for (size_t i = 0; i < n; i++) {
        check(s2s_macaroon_add_first_party_caveat(m, caveats[i], std::strlen(caveats[i]), &err), err,
              "caveat");
    }
    return m;
}

// libmacaroons' general check: a caveat is accepted when it is one of ours.
int lm_general(void *, const unsigned char *pred, size_t len) {
    for (const char *c : kCaveats) {
        if (std::strlen(c) == len && std::memcmp(c, pred, len) == 0) return 0;
    }
    return -1;
}

void bench_macaroons() {
    std::string key_file = write_root_key_file();
    S2S s2s(key_file);
    s2s_macaroon *m = make_token(kCaveats, 5);
    std::string v1 = serialize(m, S2S_FORMAT_V1);
    std::string v2 = serialize(m, S2S_FORMAT_V2);
    s2s_macaroon_free(m);

    macaroon_returncode rc;
    macaroon_verifier *lv = macaroon_verifier_create();
    macaroon_verifier_satisfy_general(lv, lm_general, nullptr, &rc);
    auto libmacaroons_verify = [&] {
        macaroon *lm = macaroon_deserialize(v1.c_str(), &rc);
        if (lm == nullptr) return false;
        int r = macaroon_verify(lv, lm, kRootKey, sizeof kRootKey - 1, nullptr, 0, &rc);
        macaroon_destroy(lm);
        return r == 0;
    };

    std::vector<double> r = rates({[&] { return s2s.verify(v1); }, libmacaroons_verify,
                                   [&] { return s2s.verify(v2); }});
    double s_v1 = r[0], lm_v1 = r[1], s_v2 = r[2];
    std::printf("verify_v1_5caveats s2sauth_per_s=%.0f libmacaroons_per_s=%.0f ratio=%.2f\n", s_v1,
                lm_v1, s_v1 / lm_v1);
    std::printf("verify_v2_5caveats s2sauth_per_s=%.0f libmacaroons_v1_per_s=%.0f ratio=%.2f\n", s_v2,
                lm_v1, s_v2 / lm_v1);

    // The floor: six chained HMACs (identifier + five caveats) from a derived key.
    s2s::Digest key{}, sig{};
    s2s::derive_root_key({reinterpret_cast<const char *>(kRootKey), sizeof kRootKey - 1}, key);
    double chain = rate([&] {
        bool ok = s2s::hmac_sha256(key.data(), key.size(), kIdentifier, sig);
        for (const char *c : kCaveats) ok = ok && s2s::hmac_sha256(sig.data(), sig.size(), c, sig);
        return ok;
    });
    std::printf("hmac_chain_6 floor_per_s=%.0f ns_per_hmac=%.0f s2sauth_v1_over_floor=%.2f\n", chain,
                1e9 / chain / 6, s_v1 / chain);
    macaroon_verifier_destroy(lv);
    unlink(key_file.c_str());
}

// A root with one third-party caveat and its bound discharge, two first-party
// caveats each: the delegation path.
void bench_third_party() {
    std::string key_file = write_root_key_file();
    S2S s2s(key_file);
    const char *root_caveats[] = {"time < 2099-01-01T00:00:00Z", "http.path prefix /v1/orders"};
    s2s_macaroon *root = make_token(root_caveats, 2);
    const unsigned char tp_key[] = "third party shared key";
    const unsigned char cid[] = "caveat-id-for-the-auth-service";
    s2s_error err{};
    check(s2s_macaroon_add_third_party_caveat(root, "https://auth.example", tp_key, sizeof tp_key - 1,
                                              cid, sizeof cid - 1, &err), err, "third party");
    s2s_macaroon *d = nullptr;
    check(s2s_macaroon_create(tp_key, sizeof tp_key - 1, cid, sizeof cid - 1, "https://auth.example",
                              &d, &err), err, "discharge");
    for (const char *c : {"time < 2099-01-01T00:00:00Z", "http.method in GET,HEAD"}) {
        check(s2s_macaroon_add_first_party_caveat(d, c, std::strlen(c), &err), err, "caveat");
    }
    check(s2s_macaroon_bind(root, d, &err), err, "bind");
    const s2s_macaroon *stack[] = {root, d};
    char *text = nullptr;
    check(s2s_stack_serialize(stack, 2, &text, nullptr, &err), err, "stack");
    std::string token = text;
    s2s_free(text);
    double r = rate([&] { return s2s.verify(token); });
    std::printf("verify_stack_1tp_2+2caveats s2sauth_per_s=%.0f\n", r);
    s2s_macaroon_free(d);
    s2s_macaroon_free(root);
    unlink(key_file.c_str());
}

std::string ec_private_pem(std::string &public_pem) {
    EVP_PKEY *pkey = EVP_EC_gen("P-256");
    BIO *priv = BIO_new(BIO_s_mem()), *pub = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(priv, pkey, nullptr, nullptr, 0, nullptr, nullptr);
    PEM_write_bio_PUBKEY(pub, pkey);
    char *p = nullptr;
    long n = BIO_get_mem_data(priv, &p);
    std::string out(p, size_t(n));
    n = BIO_get_mem_data(pub, &p);
    public_pem.assign(p, size_t(n));
    BIO_free(priv);
    BIO_free(pub);
    EVP_PKEY_free(pkey);
    return out;
}

std::string jwt_token(jwt_alg_t alg, const unsigned char *key, int len) {
    jwt_t *jwt = nullptr;
    jwt_new(&jwt);
    jwt_add_grant(jwt, "sub", "bench");
    jwt_add_grant(jwt, "aud", "orders");
    jwt_add_grant(jwt, "method", "GET,HEAD");
    jwt_add_grant(jwt, "path", "/v1/orders");
    jwt_add_grant(jwt, "cidr", "127.0.0.0/8");
    jwt_add_grant_int(jwt, "exp", 4070908800L);
    jwt_set_alg(jwt, alg, key, len);
    char *s = jwt_encode_str(jwt);
    std::string out = s ? s : "";
    free(s);
    jwt_free(jwt);
    return out;
}

void bench_jwt(double s2s_v1) {
    const unsigned char hs_key[] = "0123456789abcdef0123456789abcdef";
    std::string hs = jwt_token(JWT_ALG_HS256, hs_key, 32);
    double hs_rate = rate([&] {
        jwt_t *jwt = nullptr;
        bool ok = jwt_decode(&jwt, hs.c_str(), hs_key, 32) == 0 &&
                  std::strcmp(jwt_get_grant(jwt, "aud"), "orders") == 0;
        jwt_free(jwt);
        return ok;
    });
    std::string pub;
    std::string priv = ec_private_pem(pub);
    std::string es = jwt_token(JWT_ALG_ES256, reinterpret_cast<const unsigned char *>(priv.data()),
                               int(priv.size()));
    double es_rate = rate([&] {
        jwt_t *jwt = nullptr;
        bool ok = jwt_decode(&jwt, es.c_str(), reinterpret_cast<const unsigned char *>(pub.data()),
                             int(pub.size())) == 0;
        jwt_free(jwt);
        return ok;
    });
    std::printf("jwt_hs256_libjwt per_s=%.0f s2sauth_v1_ratio=%.2f\n", hs_rate, s2s_v1 / hs_rate);
    std::printf("jwt_es256_libjwt per_s=%.0f s2sauth_v1_ratio=%.2f\n", es_rate, s2s_v1 / es_rate);
}

}  // namespace

int main(int argc, char **argv) {
    if (argc > 1) g_seconds = std::atof(argv[1]);
    if (g_seconds <= 0 || g_seconds > 30) g_seconds = 1.0;
    bench_macaroons();
    bench_third_party();
    // Re-measure the v1 rate for the JWT ratios, in the same run.
    std::string key_file = write_root_key_file();
    double s_v1;
    {
        S2S s2s(key_file);
        s2s_macaroon *m = make_token(kCaveats, 5);
        std::string v1 = serialize(m, S2S_FORMAT_V1);
        s2s_macaroon_free(m);
        s_v1 = rate([&] { return s2s.verify(v1); });
    }
    unlink(key_file.c_str());
    bench_jwt(s_v1);
    return 0;
}
