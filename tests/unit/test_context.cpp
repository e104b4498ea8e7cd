// test_context.cpp: the request context behind s2s_context, and parse_ip.
//
// The C ABI functions are exercised as a host calls them; the internal
// Context is then inspected (and handed to the evaluator) to check that what
// the host set is what the caveats see.
#include <cstdarg>
#include <cstddef>
#include <csetjmp>
#include <cstdint>

// cmocka 1.1.5 (Debian 12) declares its functions without extern "C".
extern "C" {
#include <cmocka.h>
}

#include <arpa/inet.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "context.hpp"
#include "macaroon/caveat_eval.hpp"

using namespace std::literals;

namespace {

s2s_context *new_context() {
    s2s_context *ctx = nullptr;
    s2s_error err{};
    assert_int_equal(s2s_context_new(&ctx, &err), S2S_OK);
    assert_non_null(ctx);
    return ctx;
}

s2s_reason eval(std::string_view caveat, const s2s_context *ctx, int64_t now = 0) {
    s2s::CaveatState state;
    return s2s::eval_caveat(caveat, ctx->c, s2s::PeerFacts{}, now, state).reason;
}

void test_attr_names(void **) {
    static const char *const kNames[] = {
        "service",   "client.ip", "http.method", "http.path",  "http.host", "redis.cmd",
        "redis.key", "redis.channel", "redis.user", "pg.db",    "pg.role",
    };
    static_assert(sizeof kNames / sizeof kNames[0] == S2S_ATTR_COUNT);
    for (int i = 0; i < S2S_ATTR_COUNT; ++i) {
        assert_string_equal(s2s_attr_name(static_cast<s2s_attr>(i)), kNames[i]);
        assert_int_equal(s2s_attr_from_name(kNames[i]), i);
    }
    assert_null(s2s_attr_name(S2S_ATTR_COUNT));
    assert_null(s2s_attr_name(static_cast<s2s_attr>(-1)));
    assert_null(s2s_attr_name(static_cast<s2s_attr>(1000)));
    assert_int_equal(s2s_attr_from_name(nullptr), -1);
    assert_int_equal(s2s_attr_from_name(""), -1);
    assert_int_equal(s2s_attr_from_name("time"), -1);      // a caveat key, not an attribute
    assert_int_equal(s2s_attr_from_name("identity"), -1);
    assert_int_equal(s2s_attr_from_name("HTTP.PATH"), -1);  // exact spelling only
    assert_int_equal(s2s_attr_from_name("http.path "), -1);
    assert_int_equal(s2s_attr_from_name("http"), -1);
}

void test_new_free(void **) {
    s2s_error err{};
    assert_int_equal(s2s_context_new(nullptr, &err), S2S_ERR_INVALID_ARGUMENT);
    assert_int_equal(err.status, S2S_ERR_INVALID_ARGUMENT);
    assert_true(std::strlen(err.message) > 0);
    assert_int_equal(s2s_context_new(nullptr, nullptr), S2S_ERR_INVALID_ARGUMENT);

    s2s_context *ctx = nullptr;
    assert_int_equal(s2s_context_new(&ctx, nullptr), S2S_OK);  // err is optional
    for (int i = 0; i < S2S_ATTR_COUNT; ++i) assert_false(ctx->c.present[i]);
    assert_false(ctx->c.time_set);
    assert_null(ctx->c.peer);
    s2s_context_free(ctx);

    // NULL is accepted everywhere a context is released or reset.
    s2s_context_free(nullptr);
    s2s_context_reset(nullptr);
    s2s_context_set_time(nullptr, 1);
    s2s_context_set_peer(nullptr, nullptr);
}

void test_set_single_valued(void **) {
    s2s_context *ctx = new_context();
    assert_int_equal(s2s_context_set(ctx, S2S_ATTR_SERVICE, "orders", 6), S2S_OK);
    assert_true(ctx->c.present[S2S_ATTR_SERVICE]);
    assert_true(ctx->c.value[S2S_ATTR_SERVICE] == "orders");
    assert_int_equal(eval("service = orders", ctx), S2S_REASON_OK);

    // A second set overwrites.
    assert_int_equal(s2s_context_set(ctx, S2S_ATTR_SERVICE, "billing", 7), S2S_OK);
    assert_true(ctx->c.value[S2S_ATTR_SERVICE] == "billing");
    assert_int_equal(eval("service = orders", ctx), S2S_REASON_CAVEAT_UNSATISFIED);

    // The length is the value's length: bytes past it are not part of it.
    assert_int_equal(s2s_context_set(ctx, S2S_ATTR_SERVICE, "ordersXYZ", 6), S2S_OK);
    assert_int_equal(eval("service = orders", ctx), S2S_REASON_OK);

    // NUL is a byte like any other.
    static const char with_nul[] = {'o', 'r', 'd', '\0', 'x'};
    assert_int_equal(s2s_context_set(ctx, S2S_ATTR_PG_DB, with_nul, sizeof with_nul), S2S_OK);
    assert_int_equal(ctx->c.value[S2S_ATTR_PG_DB].size(), 5);
    assert_int_equal(eval("pg.db in ord", ctx), S2S_REASON_CAVEAT_UNSATISFIED);

    // (NULL, 0) is the empty value, which is present and has a value.
    assert_int_equal(s2s_context_set(ctx, S2S_ATTR_REDIS_USER, nullptr, 0), S2S_OK);
    assert_true(ctx->c.present[S2S_ATTR_REDIS_USER]);
    assert_non_null(ctx->c.value[S2S_ATTR_REDIS_USER].data());
    assert_int_equal(ctx->c.value[S2S_ATTR_REDIS_USER].size(), 0);
    assert_int_equal(eval("redis.user = app", ctx), S2S_REASON_CAVEAT_UNSATISFIED);

    // Bad arguments.
    assert_int_equal(s2s_context_set(ctx, S2S_ATTR_SERVICE, nullptr, 3), S2S_ERR_INVALID_ARGUMENT);
    assert_int_equal(s2s_context_set(nullptr, S2S_ATTR_SERVICE, "x", 1), S2S_ERR_INVALID_ARGUMENT);
    assert_int_equal(s2s_context_set(ctx, S2S_ATTR_COUNT, "x", 1), S2S_ERR_INVALID_ARGUMENT);
    assert_int_equal(s2s_context_set(ctx, static_cast<s2s_attr>(-1), "x", 1),
                     S2S_ERR_INVALID_ARGUMENT);
    assert_true(ctx->c.value[S2S_ATTR_SERVICE] == "orders");  // untouched by the failures
    s2s_context_free(ctx);
}

void test_set_client_ip(void **) {
    s2s_context *ctx = new_context();
    assert_int_equal(s2s_context_set(ctx, S2S_ATTR_CLIENT_IP, "10.1.2.3", 8), S2S_OK);
    assert_true(ctx->c.present[S2S_ATTR_CLIENT_IP]);
    assert_int_equal(ctx->c.client_ip.family, 4);
    assert_memory_equal(ctx->c.client_ip.bytes.data(), "\x0a\x01\x02\x03", 4);
    assert_int_equal(eval("client.ip in 10.0.0.0/8", ctx), S2S_REASON_OK);

    assert_int_equal(s2s_context_set(ctx, S2S_ATTR_CLIENT_IP, "2001:db8::5", 11), S2S_OK);
    assert_int_equal(ctx->c.client_ip.family, 6);
    assert_int_equal(eval("client.ip in 10.0.0.0/8", ctx), S2S_REASON_CAVEAT_UNSATISFIED);
    assert_int_equal(eval("client.ip in 2001:db8::/32", ctx), S2S_REASON_OK);

    // A bad address is the host's error, and clears the earlier one.
    static const std::string_view bad[] = {
        "", "010.0.0.1", "10.0.0.256", "10.0.0", "1.2.3.4 ", " 1.2.3.4", "1.2.3.4\0"sv,
        "1.2.3.4/32", "[::1]", "fe80::1%eth0", "::1::", "example.com", "0x0a000001",
        "1111:2222:3333:4444:5555:6666:7777:8888:9999",
    };
    for (std::string_view text : bad) {
        assert_int_equal(s2s_context_set(ctx, S2S_ATTR_CLIENT_IP, "10.1.2.3", 8), S2S_OK);
        assert_int_equal(s2s_context_set(ctx, S2S_ATTR_CLIENT_IP, text.data(), text.size()),
                         S2S_ERR_INVALID_ARGUMENT);
        assert_false(ctx->c.present[S2S_ATTR_CLIENT_IP]);
        assert_int_equal(ctx->c.client_ip.family, 0);
        assert_int_equal(eval("client.ip in 10.0.0.0/8", ctx), S2S_REASON_CONTEXT_MISSING);
    }
    s2s_context_free(ctx);
}

// A path with "." or ".." segments is the host's error and is cleared: it
// must never match a prefix byte by byte ("/v1/orders/../admin").
void test_set_http_path(void **) {
    s2s_context *ctx = new_context();
    static const std::string_view good[] = {
        "/v1/orders/7", "/", "", "/v1//orders", "/v1/orders/.x", "/v1/orders/...",
        "/v1/orders/..;", "/v1/orders/%2e%2e", "/v1/orders/x.",
    };
    for (std::string_view text : good) {
        assert_int_equal(s2s_context_set(ctx, S2S_ATTR_HTTP_PATH, text.data(), text.size()),
                         S2S_OK);
        assert_true(ctx->c.present[S2S_ATTR_HTTP_PATH]);
    }
    static const std::string_view bad[] = {
        "/v1/orders/../admin", "/v1/orders/..", "/v1/orders/.", "/v1/orders/./7", "..",
        ".", "/..", "../x", "/v1/orders//../admin",
    };
    for (std::string_view text : bad) {
        assert_int_equal(s2s_context_set(ctx, S2S_ATTR_HTTP_PATH, "/v1/orders", 10), S2S_OK);
        assert_int_equal(s2s_context_set(ctx, S2S_ATTR_HTTP_PATH, text.data(), text.size()),
                         S2S_ERR_INVALID_ARGUMENT);
        assert_false(ctx->c.present[S2S_ATTR_HTTP_PATH]);
        assert_int_equal(eval("http.path prefix /v1/orders", ctx), S2S_REASON_CONTEXT_MISSING);
    }
    s2s_context_free(ctx);
}

void test_parse_ip(void **) {
    struct IpCase {
        std::string_view text;
        int family;  // 0: refused
    };
    static const IpCase cases[] = {
        {"0.0.0.0", 4},
        {"255.255.255.255", 4},
        {"127.0.0.1", 4},
        {"::", 6},
        {"::1", 6},
        {"2001:DB8::1", 6},
        {"::ffff:10.1.2.3", 6},  // kept as IPv6; the evaluator maps it
        {"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", 6},  // the longest form
        {"", 0},
        {"010.0.0.1", 0},
        {"1.2.3.04", 0},
        {"256.0.0.1", 0},
        {"1.2.3", 0},
        {"1.2.3.4.5", 0},
        {"::ffff:010.0.0.1", 0},
        {"fe80::1%eth0", 0},
        {"[::1]", 0},
        {"1::2::3", 0},
        {"00000::1", 0},
        {"1.2.3.4\0"sv, 0},
        {"\0001.2.3.4"sv, 0},
        {"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.2555", 0},  // too long for any address
        {"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255:ffff:ffff", 0},
    };
    for (const IpCase &c : cases) {
        s2s::IpAddress ip;
        ip.family = 99;
        bool ok = s2s::parse_ip(c.text, ip);
        if (ok != (c.family != 0) || (ok && ip.family != c.family)) {
            std::fprintf(stderr, "parse_ip(\"%.*s\"): ok=%d family=%d\n",
                         static_cast<int>(c.text.size()), c.text.data(), ok, ip.family);
            fail();
        }
        if (!ok) assert_int_equal(ip.family, 99);  // untouched on failure
    }
    s2s::IpAddress mapped;
    assert_true(s2s::parse_ip("::ffff:10.1.2.3", mapped));
    static const uint8_t kMapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3};
    assert_memory_equal(mapped.bytes.data(), kMapped, 16);
}

// parse_ip reads dotted quads itself (for speed); it must agree with
// inet_pton(AF_INET) on every string, accepted or not.
void test_parse_ipv4_matches_inet_pton(void **) {
    auto agree = [](const std::string &text) {
        uint8_t want[4];
        bool want_ok = inet_pton(AF_INET, text.c_str(), want) == 1;
        s2s::IpAddress got;
        bool got_ok = s2s::parse_ip(text, got);
        bool same_bytes = got.family == 4 && std::memcmp(got.bytes.data(), want, 4) == 0;
        if (got_ok != want_ok || (got_ok && !same_bytes)) {
            std::fprintf(stderr, "parse_ip(\"%s\") = %d, inet_pton = %d\n", text.c_str(), got_ok,
                         want_ok);
            return false;
        }
        return true;
    };
    static const char *const kParts[] = {"", "0", "00", "000", "0000", "01", "001", "1", "9", "10",
                                         "99", "100", "199", "200", "249", "250", "255", "256",
                                         "260", "299", "300", "999", "1000", "25a", "-1", "+1"};
    int failures = 0;
    for (const char *a : kParts) {
        for (const char *b : kParts) {
            failures += !agree(std::string(a) + ".1." + b + ".0");
            failures += !agree(std::string("1.") + a + "." + b);
            failures += !agree(std::string(a) + "." + b + ".2.3.4");
        }
    }
    // Random strings over the characters a quad is made of.
    uint32_t seed = 12345;
    static const char kAlphabet[] = "0123456789.0125.";
    for (int n = 0; n < 200000; ++n) {
        seed = seed * 1664525u + 1013904223u;
        size_t len = (seed >> 24) % 18;
        std::string text;
        for (size_t i = 0; i < len; ++i) {
            seed = seed * 1664525u + 1013904223u;
            text += kAlphabet[(seed >> 20) % (sizeof kAlphabet - 1)];
        }
        failures += !agree(text);
        if (failures > 20) break;
    }
    assert_int_equal(failures, 0);
}

void test_multi_valued(void **) {
    s2s_context *ctx = new_context();
    assert_int_equal(s2s_context_set(ctx, S2S_ATTR_REDIS_KEY, "app:1", 5), S2S_OK);
    assert_int_equal(s2s_context_set(ctx, S2S_ATTR_REDIS_KEY, "app:2", 5), S2S_OK);
    assert_int_equal(s2s_context_set(ctx, S2S_ATTR_REDIS_KEY, "app:\0x", 6), S2S_OK);
    assert_int_equal(ctx->c.redis_keys.size(), 3);
    assert_true(ctx->c.redis_keys[2] == "app:\0x"sv);
    assert_true(ctx->c.present[S2S_ATTR_REDIS_KEY]);
    assert_false(ctx->c.present[S2S_ATTR_REDIS_CHANNEL]);
    assert_int_equal(eval("redis.key prefix app:", ctx), S2S_REASON_OK);
    assert_int_equal(s2s_context_set(ctx, S2S_ATTR_REDIS_KEY, "other", 5), S2S_OK);
    assert_int_equal(eval("redis.key prefix app:", ctx), S2S_REASON_CAVEAT_UNSATISFIED);

    assert_int_equal(s2s_context_set(ctx, S2S_ATTR_REDIS_CHANNEL, "news.eu", 7), S2S_OK);
    assert_int_equal(ctx->c.redis_channels.size(), 1);
    assert_int_equal(ctx->c.redis_keys.size(), 4);
    assert_int_equal(eval("redis.channel prefix news.", ctx), S2S_REASON_OK);
    s2s_context_free(ctx);
}

void test_mark_present(void **) {
    s2s_context *ctx = new_context();
    // A keyless command: present, no keys, every key caveat holds.
    assert_int_equal(eval("redis.key prefix app:", ctx), S2S_REASON_CONTEXT_MISSING);
    assert_int_equal(s2s_context_mark_present(ctx, S2S_ATTR_REDIS_KEY), S2S_OK);
    assert_true(ctx->c.present[S2S_ATTR_REDIS_KEY]);
    assert_int_equal(ctx->c.redis_keys.size(), 0);
    assert_int_equal(eval("redis.key prefix app:", ctx), S2S_REASON_OK);

    // A single-valued attribute marked present has no value (a null view).
    assert_int_equal(s2s_context_mark_present(ctx, S2S_ATTR_REDIS_USER), S2S_OK);
    assert_null(ctx->c.value[S2S_ATTR_REDIS_USER].data());
    assert_int_equal(eval("redis.user = app", ctx), S2S_REASON_OK);  // the token declares it

    // Marking does not erase a value set before.
    assert_int_equal(s2s_context_set(ctx, S2S_ATTR_SERVICE, "orders", 6), S2S_OK);
    assert_int_equal(s2s_context_mark_present(ctx, S2S_ATTR_SERVICE), S2S_OK);
    assert_true(ctx->c.value[S2S_ATTR_SERVICE] == "orders");

    assert_int_equal(s2s_context_mark_present(nullptr, S2S_ATTR_SERVICE), S2S_ERR_INVALID_ARGUMENT);
    assert_int_equal(s2s_context_mark_present(ctx, S2S_ATTR_COUNT), S2S_ERR_INVALID_ARGUMENT);
    s2s_context_free(ctx);
}

void test_time_and_peer(void **) {
    s2s_context *ctx = new_context();
    assert_int_equal(eval("time < 2026-12-03T12:00:00Z", ctx, 1796299199), S2S_REASON_OK);
    s2s_context_set_time(ctx, 1796299200);
    assert_true(ctx->c.time_set);
    assert_int_equal(ctx->c.now, 1796299200);
    assert_int_equal(eval("time < 2026-12-03T12:00:00Z", ctx, 1796299199), S2S_REASON_EXPIRED);

    const auto *fake_peer = reinterpret_cast<const s2s_peer *>(&ctx);  // only stored, never read
    s2s_context_set_peer(ctx, fake_peer);
    assert_ptr_equal(ctx->c.peer, fake_peer);
    s2s_context_set_peer(ctx, nullptr);
    assert_null(ctx->c.peer);
    s2s_context_free(ctx);
}

void test_reset_reuses(void **) {
    s2s_context *ctx = new_context();
    static const char *const keys[] = {"k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9", "k10",
                                       "k11", "k12", "k13", "k14", "k15", "k16", "k17"};
    for (const char *k : keys) {
        assert_int_equal(s2s_context_set(ctx, S2S_ATTR_REDIS_KEY, k, std::strlen(k)), S2S_OK);
    }
    assert_int_equal(s2s_context_set(ctx, S2S_ATTR_REDIS_CHANNEL, "c", 1), S2S_OK);
    assert_int_equal(s2s_context_set(ctx, S2S_ATTR_SERVICE, "orders", 6), S2S_OK);
    assert_int_equal(s2s_context_set(ctx, S2S_ATTR_CLIENT_IP, "10.1.2.3", 8), S2S_OK);
    s2s_context_set_time(ctx, 42);
    s2s_context_set_peer(ctx, reinterpret_cast<const s2s_peer *>(&ctx));
    size_t key_capacity = ctx->c.redis_keys.capacity();
    const auto *key_storage = ctx->c.redis_keys.data();

    s2s_context_reset(ctx);
    for (int i = 0; i < S2S_ATTR_COUNT; ++i) {
        assert_false(ctx->c.present[i]);
        assert_null(ctx->c.value[i].data());
    }
    assert_int_equal(ctx->c.redis_keys.size(), 0);
    assert_int_equal(ctx->c.redis_channels.size(), 0);
    assert_int_equal(ctx->c.client_ip.family, 0);
    assert_false(ctx->c.time_set);
    assert_null(ctx->c.peer);
    assert_int_equal(eval("service = orders", ctx), S2S_REASON_CONTEXT_MISSING);
    assert_int_equal(eval("client.ip in 10.0.0.0/8", ctx), S2S_REASON_CONTEXT_MISSING);

    // The memory stays: refilling to the same size does not reallocate.
    assert_int_equal(ctx->c.redis_keys.capacity(), key_capacity);
    for (const char *k : keys) {
        assert_int_equal(s2s_context_set(ctx, S2S_ATTR_REDIS_KEY, k, std::strlen(k)), S2S_OK);
    }
    assert_ptr_equal(ctx->c.redis_keys.data(), key_storage);
    assert_int_equal(eval("redis.key prefix k", ctx), S2S_REASON_OK);
    s2s_context_free(ctx);
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attr_names),
        cmocka_unit_test(test_new_free),
        cmocka_unit_test(test_set_single_valued),
        cmocka_unit_test(test_set_client_ip),
        cmocka_unit_test(test_set_http_path),
        cmocka_unit_test(test_parse_ip),
        cmocka_unit_test(test_parse_ipv4_matches_inet_pton),
        cmocka_unit_test(test_multi_valued),
        cmocka_unit_test(test_mark_present),
        cmocka_unit_test(test_time_and_peer),
        cmocka_unit_test(test_reset_reuses),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
