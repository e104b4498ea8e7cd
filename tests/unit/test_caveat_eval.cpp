// test_caveat_eval.cpp: the first-party caveat language, case by case.
//
// Every key and operator is checked on its happy path and against each way it
// can fail, with the exact reason expected.  Cases are tables so that a failing
// row prints the caveat it was about.
#include <cstdarg>
#include <cstddef>
#include <csetjmp>
#include <cstdint>

// cmocka 1.1.5 (Debian 12) declares its functions without extern "C".
extern "C" {
#include <cmocka.h>
}

#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "macaroon/caveat_eval.hpp"

using namespace std::literals;
using s2s::CaveatState;
using s2s::Context;
using s2s::PeerFacts;

namespace {

constexpr int64_t kNow = 1796299200;  // 2026-12-03T12:00:00Z
constexpr std::string_view kCertHash = "LXEWQrcmsEQBYnyp-6wy9chTD7GQPMTbAiWHF5IaSIE";
constexpr std::string_view kSpiffe = "spiffe://example.org/ns/prod/sa/orders";

const char *reason_label(s2s_reason r) {
    static const char *const kLabels[] = {
        "ok",           "no_credential",       "malformed",         "too_large",
        "unknown_key",  "bad_signature",       "revoked",           "expired",
        "not_yet_valid", "caveat_unsatisfied", "caveat_unknown",    "caveat_malformed",
        "context_missing", "identity_conflict", "discharge_missing", "discharge_invalid",
        "discharge_unused", "cert_required",    "cert_untrusted",    "cert_mismatch",
        "cert_policy",  "internal",
    };
    auto i = static_cast<size_t>(r);
    return i < sizeof kLabels / sizeof kLabels[0] ? kLabels[i] : "?";
}

std::string printable(std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
        if (c >= 0x20 && c < 0x7f) {
            out += static_cast<char>(c);
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        }
    }
    return out;
}

struct Case {
    std::string_view caveat;
    s2s_reason want;
};

// Evaluates each case with a fresh state; reports every mismatch, then fails.
// A malformed caveat is malformed on every host: each such case is evaluated
// again with an empty context and no peer (the evaluator's other path, where
// the value is validated without being matched).
template <size_t N>
void check(const Case (&cases)[N], const Context &ctx, const PeerFacts &peer, int64_t now = kNow) {
    int failures = 0;
    for (const Case &c : cases) {
        CaveatState state;
        s2s_reason got = s2s::eval_caveat(c.caveat, ctx, peer, now, state).reason;
        if (got != c.want) {
            std::fprintf(stderr, "caveat \"%s\": want %s, got %s\n", printable(c.caveat).c_str(),
                         reason_label(c.want), reason_label(got));
            ++failures;
        }
        if (c.want == S2S_REASON_CAVEAT_MALFORMED) {
            CaveatState fresh;
            got = s2s::eval_caveat(c.caveat, Context{}, PeerFacts{}, now, fresh).reason;
            if (got != c.want) {
                std::fprintf(stderr, "caveat \"%s\" without context: want %s, got %s\n",
                             printable(c.caveat).c_str(), reason_label(c.want), reason_label(got));
                ++failures;
            }
        }
    }
    assert_int_equal(failures, 0);
}

void set(Context &ctx, s2s_attr attr, std::string_view v) {
    ctx.value[attr] = v;
    ctx.present[attr] = true;
}

// A context in which every attribute is supplied.
Context full_context() {
    Context ctx;
    set(ctx, S2S_ATTR_SERVICE, "orders");
    assert_true(s2s::parse_ip("10.1.2.3", ctx.client_ip));
    set(ctx, S2S_ATTR_CLIENT_IP, "10.1.2.3");
    set(ctx, S2S_ATTR_HTTP_METHOD, "GET");
    set(ctx, S2S_ATTR_HTTP_PATH, "/v1/orders/7");
    set(ctx, S2S_ATTR_HTTP_HOST, "api.example.com");
    set(ctx, S2S_ATTR_REDIS_CMD, "GET");
    ctx.redis_keys = {"app:1", "app:2"};
    ctx.present[S2S_ATTR_REDIS_KEY] = true;
    ctx.redis_channels = {"news.eu", "news.us"};
    ctx.present[S2S_ATTR_REDIS_CHANNEL] = true;
    set(ctx, S2S_ATTR_REDIS_USER, "app");
    set(ctx, S2S_ATTR_PG_DB, "sales");
    set(ctx, S2S_ATTR_PG_ROLE, "reader");
    return ctx;
}

PeerFacts trusted_peer() {
    PeerFacts p;
    p.present = true;
    p.trusted = true;
    p.cert_sha256 = kCertHash;
    p.spiffe_id = kSpiffe;
    return p;
}

// ---- lexical rules, unknown keys and operators -------------------------------

void test_lexical(void **) {
    static const Case cases[] = {
        {"service = orders", S2S_REASON_OK},
        {"", S2S_REASON_CAVEAT_MALFORMED},
        {"service", S2S_REASON_CAVEAT_MALFORMED},
        {"service =", S2S_REASON_CAVEAT_MALFORMED},
        {"service = ", S2S_REASON_CAVEAT_MALFORMED},
        {"service=orders", S2S_REASON_CAVEAT_MALFORMED},
        {" service = orders", S2S_REASON_CAVEAT_MALFORMED},
        {"service  = orders", S2S_REASON_CAVEAT_MALFORMED},
        {"service =  orders", S2S_REASON_CAVEAT_MALFORMED},
        {"service = orders ", S2S_REASON_CAVEAT_MALFORMED},
        {"service = ord  ers", S2S_REASON_CAVEAT_MALFORMED},
        {"service\t= orders", S2S_REASON_CAVEAT_MALFORMED},
        {"service = ord\ters", S2S_REASON_CAVEAT_MALFORMED},
        {"service = orders\n", S2S_REASON_CAVEAT_MALFORMED},
        {"service = orders\r\nX-Admin: 1", S2S_REASON_CAVEAT_MALFORMED},
        {"service = orders\0"sv, S2S_REASON_CAVEAT_MALFORMED},
        {"service = ord\0ers"sv, S2S_REASON_CAVEAT_MALFORMED},
        {"serv\0ice = orders"sv, S2S_REASON_CAVEAT_MALFORMED},
        {"service = orders\x7f", S2S_REASON_CAVEAT_MALFORMED},
        {"service = orders\xc2\x85", S2S_REASON_CAVEAT_MALFORMED},   // U+0085, a C1 control
        {"service = orders\xff", S2S_REASON_CAVEAT_MALFORMED},       // never valid in UTF-8
        {"service = orders\xc3", S2S_REASON_CAVEAT_MALFORMED},       // truncated sequence
        {"service = \x80orders", S2S_REASON_CAVEAT_MALFORMED},       // lone continuation byte
        {"service = \xc0\xaforders", S2S_REASON_CAVEAT_MALFORMED},   // overlong '/'
        {"service = \xe0\x80\xaf", S2S_REASON_CAVEAT_MALFORMED},     // overlong '/', 3 bytes
        {"service = \xed\xa0\x80", S2S_REASON_CAVEAT_MALFORMED},     // a UTF-16 surrogate
        {"service = \xf4\x90\x80\x80", S2S_REASON_CAVEAT_MALFORMED}, // above U+10FFFF
        {"s\xc3\xa9rvice = orders", S2S_REASON_CAVEAT_MALFORMED},    // non-ASCII key
        {"Service = orders", S2S_REASON_CAVEAT_MALFORMED},           // key outside [a-z0-9._]
        {"http-path = /", S2S_REASON_CAVEAT_MALFORMED},
        {"service \xe2\x89\xa0 orders", S2S_REASON_CAVEAT_MALFORMED}, // non-ASCII op
        // Unknown keys and operators, however well formed.
        {"colour = red", S2S_REASON_CAVEAT_UNKNOWN},
        {"services = orders", S2S_REASON_CAVEAT_UNKNOWN},
        {"http.paths prefix /", S2S_REASON_CAVEAT_UNKNOWN},
        {"service == orders", S2S_REASON_CAVEAT_UNKNOWN},
        {"service != orders", S2S_REASON_CAVEAT_UNKNOWN},
        {"service IN orders", S2S_REASON_CAVEAT_UNKNOWN},
        {"service prefix ord", S2S_REASON_CAVEAT_UNKNOWN},  // a known op the key does not take
        {"time = 2026-12-03T12:00:00Z", S2S_REASON_CAVEAT_UNKNOWN},
        {"time <= 2026-12-03T12:00:00Z", S2S_REASON_CAVEAT_UNKNOWN},
        {"identity in alice,bob", S2S_REASON_CAVEAT_UNKNOWN},
        {"http.method = GET", S2S_REASON_CAVEAT_UNKNOWN},
        {"client.ip = 10.1.2.3", S2S_REASON_CAVEAT_UNKNOWN},
        {"redis.key = app:1", S2S_REASON_CAVEAT_UNKNOWN},
        {"pg.db prefix sales", S2S_REASON_CAVEAT_UNKNOWN},
        {"cert.sha256 prefix LXEW", S2S_REASON_CAVEAT_UNKNOWN},
        // Unknown wins over a malformed value: the key decides what "valid" means.
        {"colour in a,,b", S2S_REASON_CAVEAT_UNKNOWN},
    };
    check(cases, full_context(), trusted_peer());
}

// ---- service -------------------------------------------------------------------

void test_service(void **) {
    static const Case cases[] = {
        {"service = orders", S2S_REASON_OK},
        {"service in billing,orders", S2S_REASON_OK},
        {"service in orders", S2S_REASON_OK},
        {"service = order", S2S_REASON_CAVEAT_UNSATISFIED},   // no prefix matching
        {"service = orders2", S2S_REASON_CAVEAT_UNSATISFIED},
        {"service = rders", S2S_REASON_CAVEAT_UNSATISFIED},   // no substring matching
        {"service = ORDERS", S2S_REASON_CAVEAT_UNSATISFIED},  // no case folding
        {"service = \xd0\xberders", S2S_REASON_CAVEAT_UNSATISFIED},  // Cyrillic o
        {"service = ord\xd0\xb5rs", S2S_REASON_CAVEAT_UNSATISFIED},  // Cyrillic e
        {"service = \xef\xbd\x8frders", S2S_REASON_CAVEAT_UNSATISFIED},  // fullwidth o
        {"service in billing,order", S2S_REASON_CAVEAT_UNSATISFIED},
        {"service in billing,orders,", S2S_REASON_CAVEAT_MALFORMED},
        {"service in ,orders", S2S_REASON_CAVEAT_MALFORMED},
        {"service in billing,,orders", S2S_REASON_CAVEAT_MALFORMED},
        {"service in billing, orders", S2S_REASON_CAVEAT_MALFORMED},
        {"service in ,", S2S_REASON_CAVEAT_MALFORMED},
        // With `=` a comma is part of the name.
        {"service = billing,orders", S2S_REASON_CAVEAT_UNSATISFIED},
    };
    check(cases, full_context(), trusted_peer());

    Context ctx = full_context();
    set(ctx, S2S_ATTR_SERVICE, "orders2");
    static const Case longer[] = {
        {"service = orders", S2S_REASON_CAVEAT_UNSATISFIED},
        {"service in orders", S2S_REASON_CAVEAT_UNSATISFIED},
        {"service = orders2", S2S_REASON_OK},
    };
    check(longer, ctx, trusted_peer());

    // A service name in another script matches itself, byte for byte.
    set(ctx, S2S_ATTR_SERVICE, "\xd0\xb7\xd0\xb0\xd0\xba\xd0\xb0\xd0\xb7");
    static const Case unicode[] = {
        {"service = \xd0\xb7\xd0\xb0\xd0\xba\xd0\xb0\xd0\xb7", S2S_REASON_OK},
        {"service = \xd0\x97\xd0\xb0\xd0\xba\xd0\xb0\xd0\xb7", S2S_REASON_CAVEAT_UNSATISFIED},
    };
    check(unicode, ctx, trusted_peer());

    // Present without a value matches nothing.
    Context marked;
    marked.present[S2S_ATTR_SERVICE] = true;
    static const Case none[] = {
        {"service = orders", S2S_REASON_CAVEAT_UNSATISFIED},
        {"service in orders", S2S_REASON_CAVEAT_UNSATISFIED},
    };
    check(none, marked, trusted_peer());
}

// ---- time ----------------------------------------------------------------------

void test_time_boundaries(void **) {
    Context ctx = full_context();
    PeerFacts peer;
    static const Case at_t[] = {
        {"time < 2026-12-03T12:00:00Z", S2S_REASON_EXPIRED},        // expired at T
        {"time > 2026-12-03T12:00:00Z", S2S_REASON_NOT_YET_VALID},  // not yet at T
        {"time < 2026-12-03T12:00:01Z", S2S_REASON_OK},
        {"time > 2026-12-03T11:59:59Z", S2S_REASON_OK},
        {"time < 2026-12-03T11:59:59Z", S2S_REASON_EXPIRED},
        {"time > 2026-12-03T12:00:01Z", S2S_REASON_NOT_YET_VALID},
        // A fraction is later than the whole second: at T, T.5 is still ahead.
        {"time < 2026-12-03T12:00:00.5Z", S2S_REASON_OK},
        {"time < 2026-12-03T12:00:00.000000001Z", S2S_REASON_OK},
        {"time < 2026-12-03T12:00:00.000Z", S2S_REASON_EXPIRED},  // a zero fraction is T
        {"time > 2026-12-03T12:00:00.5Z", S2S_REASON_NOT_YET_VALID},
        {"time > 2026-12-03T11:59:59.999999999Z", S2S_REASON_OK},
        {"time < 2099-01-01T00:00:00Z", S2S_REASON_OK},
        {"time > 1970-01-01T00:00:00Z", S2S_REASON_OK},
    };
    check(at_t, ctx, peer, kNow);

    static const Case after_t[] = {
        {"time < 2026-12-03T12:00:00.5Z", S2S_REASON_EXPIRED},
        {"time < 2026-12-03T12:00:00Z", S2S_REASON_EXPIRED},
        {"time > 2026-12-03T12:00:00.5Z", S2S_REASON_OK},
        {"time > 2026-12-03T12:00:00Z", S2S_REASON_OK},
    };
    check(after_t, ctx, peer, kNow + 1);

    static const Case before_t[] = {
        {"time < 2026-12-03T12:00:00Z", S2S_REASON_OK},
        {"time > 2026-12-03T12:00:00Z", S2S_REASON_NOT_YET_VALID},
    };
    check(before_t, ctx, peer, kNow - 1);

    // The context's time, when set, replaces the clock argument.
    ctx.time_set = true;
    ctx.now = kNow - 1;
    check(before_t, ctx, peer, kNow + 1000);
    ctx.now = kNow;
    static const Case ctx_at_t[] = {{"time < 2026-12-03T12:00:00Z", S2S_REASON_EXPIRED}};
    check(ctx_at_t, ctx, peer, 0);

    // Time needs no host attribute: an empty context still evaluates it.
    static const Case empty_ctx[] = {
        {"time < 2026-12-03T12:00:01Z", S2S_REASON_OK},
        {"time < 2026-12-03T12:00:00Z", S2S_REASON_EXPIRED},
    };
    check(empty_ctx, Context{}, peer, kNow);
}

void test_time_malformed(void **) {
    static const Case cases[] = {
        {"time < 2026-12-03t12:00:00Z", S2S_REASON_CAVEAT_MALFORMED},       // lowercase t
        {"time < 2026-12-03T12:00:00z", S2S_REASON_CAVEAT_MALFORMED},       // lowercase z
        {"time < 2026-12-03T12:00:00+00:00", S2S_REASON_CAVEAT_MALFORMED},  // offset
        {"time < 2026-12-03T12:00:00-01:00", S2S_REASON_CAVEAT_MALFORMED},
        {"time < 2026-12-03T12:00:00", S2S_REASON_CAVEAT_MALFORMED},        // no Z
        {"time < 2026-12-03T12:00Z", S2S_REASON_CAVEAT_MALFORMED},          // no seconds
        {"time < 2026-12-03", S2S_REASON_CAVEAT_MALFORMED},
        {"time < 2026-12-03 12:00:00Z", S2S_REASON_CAVEAT_MALFORMED},       // space for T
        {"time < 2016-12-31T23:59:60Z", S2S_REASON_CAVEAT_MALFORMED},       // leap second
        {"time < 2026-13-01T00:00:00Z", S2S_REASON_CAVEAT_MALFORMED},       // month 13
        {"time < 2026-00-01T00:00:00Z", S2S_REASON_CAVEAT_MALFORMED},       // month 0
        {"time < 2026-12-00T00:00:00Z", S2S_REASON_CAVEAT_MALFORMED},       // day 0
        {"time < 2026-12-32T00:00:00Z", S2S_REASON_CAVEAT_MALFORMED},       // day 32
        {"time < 2026-04-31T00:00:00Z", S2S_REASON_CAVEAT_MALFORMED},       // April 31
        {"time < 2027-02-29T00:00:00Z", S2S_REASON_CAVEAT_MALFORMED},       // not a leap year
        {"time < 2100-02-29T00:00:00Z", S2S_REASON_CAVEAT_MALFORMED},       // century, not leap
        {"time < 2026-12-03T24:00:00Z", S2S_REASON_CAVEAT_MALFORMED},       // hour 24
        {"time < 2026-12-03T12:60:00Z", S2S_REASON_CAVEAT_MALFORMED},       // minute 60
        {"time < 1969-12-31T23:59:59Z", S2S_REASON_CAVEAT_MALFORMED},       // before 1970
        {"time < 0000-01-01T00:00:00Z", S2S_REASON_CAVEAT_MALFORMED},
        {"time < 2026-12-03T12:00:00.Z", S2S_REASON_CAVEAT_MALFORMED},      // empty fraction
        {"time < 2026-12-03T12:00:00.1234567890Z", S2S_REASON_CAVEAT_MALFORMED},  // 10 digits
        {"time < 2026-12-03T12:00:00,5Z", S2S_REASON_CAVEAT_MALFORMED},     // comma fraction
        {"time < 2026-12-03T12:00:00ZZ", S2S_REASON_CAVEAT_MALFORMED},      // trailing bytes
        {"time < 2026-12-03T12:00:00Z x", S2S_REASON_CAVEAT_MALFORMED},
        {"time < 02026-12-03T12:00:00Z", S2S_REASON_CAVEAT_MALFORMED},      // 5-digit year
        {"time < 2026-1-03T12:00:00Z", S2S_REASON_CAVEAT_MALFORMED},        // 1-digit month
        {"time < +026-12-03T12:00:00Z", S2S_REASON_CAVEAT_MALFORMED},
        {"time < 2026-12-03T1a:00:00Z", S2S_REASON_CAVEAT_MALFORMED},
        {"time < 1796299200", S2S_REASON_CAVEAT_MALFORMED},                 // epoch seconds
        // Arabic-Indic digits.
        {"time < \xd9\xa2\xd9\xa0\xd9\xa2\xd9\xa6-12-03T12:00:00Z", S2S_REASON_CAVEAT_MALFORMED},
        // Valid edges.
        {"time < 2028-02-29T00:00:00Z", S2S_REASON_OK},
        {"time < 2400-02-29T00:00:00Z", S2S_REASON_OK},
        {"time < 9999-12-31T23:59:59.999999999Z", S2S_REASON_OK},
    };
    check(cases, Context{}, PeerFacts{});
}

void test_rfc3339_parse_format(void **) {
    struct Known {
        const char *text;
        int64_t seconds;
        bool frac;
    };
    static const Known known[] = {
        {"1970-01-01T00:00:00Z", 0, false},
        {"1970-01-01T00:00:01.5Z", 1, true},
        {"2000-02-29T00:00:00Z", 951782400, false},
        {"2026-12-03T12:00:00Z", kNow, false},
        {"2026-12-03T12:00:00.000000000Z", kNow, false},
        {"2100-03-01T00:00:00Z", 4107542400, false},
        {"9999-12-31T23:59:59Z", 253402300799, false},
    };
    for (const Known &k : known) {
        int64_t seconds = -1;
        bool frac = !k.frac;
        assert_true(s2s::parse_rfc3339_utc(k.text, seconds, frac));
        assert_int_equal(seconds, k.seconds);
        assert_int_equal(frac, k.frac);
        if (std::strlen(k.text) == 20) {
            assert_string_equal(s2s::format_rfc3339_utc(k.seconds).c_str(), k.text);
        }
    }
    // Outside what the parser accepts, the formatter refuses (empty string).
    assert_string_equal(s2s::format_rfc3339_utc(-1).c_str(), "");
    assert_string_equal(s2s::format_rfc3339_utc(253402300800).c_str(), "");
    assert_string_equal(s2s::format_rfc3339_utc(INT64_MAX).c_str(), "");

    // Round trip over the whole range, with a step that visits every month,
    // hour and minute and many days.
    for (int64_t t = 0; t <= 253402300799; t += 9999991) {
        std::string text = s2s::format_rfc3339_utc(t);
        int64_t back = -1;
        bool frac = true;
        assert_true(s2s::parse_rfc3339_utc(text, back, frac));
        assert_int_equal(back, t);
        assert_false(frac);
    }
}

// ---- identity ------------------------------------------------------------------

void test_identity(void **) {
    Context ctx;
    PeerFacts peer;
    CaveatState state;
    std::string first = "identity = alice";
    assert_int_equal(s2s::eval_caveat(first, ctx, peer, kNow, state).reason, S2S_REASON_OK);
    assert_true(state.identity == "alice");
    // The state's view points into the caveat text, not a copy.
    assert_ptr_equal(state.identity.data(), first.data() + 11);

    assert_int_equal(s2s::eval_caveat("identity = alice", ctx, peer, kNow, state).reason,
                     S2S_REASON_OK);
    assert_int_equal(s2s::eval_caveat("identity = bob", ctx, peer, kNow, state).reason,
                     S2S_REASON_IDENTITY_CONFLICT);
    assert_int_equal(s2s::eval_caveat("identity = alice2", ctx, peer, kNow, state).reason,
                     S2S_REASON_IDENTITY_CONFLICT);
    assert_int_equal(s2s::eval_caveat("identity = Alice", ctx, peer, kNow, state).reason,
                     S2S_REASON_IDENTITY_CONFLICT);
    assert_true(state.identity == "alice");  // a conflict does not replace it

    CaveatState spaced;
    assert_int_equal(s2s::eval_caveat("identity = Alice Smith", ctx, peer, kNow, spaced).reason,
                     S2S_REASON_OK);
    assert_true(spaced.identity == "Alice Smith");

    static const Case cases[] = {
        {"identity =", S2S_REASON_CAVEAT_MALFORMED},
        {"identity = ", S2S_REASON_CAVEAT_MALFORMED},
        {"identity = a\r\nb", S2S_REASON_CAVEAT_MALFORMED},
    };
    check(cases, ctx, peer);
}

// ---- client.ip -----------------------------------------------------------------

void test_client_ip_v4(void **) {
    static const Case cases[] = {
        {"client.ip in 10.0.0.0/8", S2S_REASON_OK},
        {"client.ip in 10.1.2.3", S2S_REASON_OK},  // a bare address is /32
        {"client.ip in 10.1.2.3/32", S2S_REASON_OK},
        {"client.ip in 10.1.2.2/31", S2S_REASON_OK},
        {"client.ip in 0.0.0.0/0", S2S_REASON_OK},
        {"client.ip in 192.168.0.0/16,10.1.0.0/16", S2S_REASON_OK},
        {"client.ip in 2001:db8::/32,10.1.2.0/24", S2S_REASON_OK},
        {"client.ip in 10.1.2.4", S2S_REASON_CAVEAT_UNSATISFIED},
        {"client.ip in 10.1.2.4/31", S2S_REASON_CAVEAT_UNSATISFIED},
        {"client.ip in 11.0.0.0/8,192.168.0.0/16", S2S_REASON_CAVEAT_UNSATISFIED},
        {"client.ip in ::/0", S2S_REASON_CAVEAT_UNSATISFIED},  // IPv6 networks: IPv6 clients
        {"client.ip in ::ffff:10.0.0.0/104", S2S_REASON_CAVEAT_UNSATISFIED},
        {"client.ip in 10.1.0.0/8", S2S_REASON_CAVEAT_MALFORMED},  // host bits set
        {"client.ip in 10.1.2.3/31", S2S_REASON_CAVEAT_MALFORMED},
        {"client.ip in 10.0.0.0/33", S2S_REASON_CAVEAT_MALFORMED},
        {"client.ip in 10.0.0.0/", S2S_REASON_CAVEAT_MALFORMED},
        {"client.ip in 10.0.0.0/08", S2S_REASON_CAVEAT_MALFORMED},
        {"client.ip in 10.0.0.0/-8", S2S_REASON_CAVEAT_MALFORMED},
        {"client.ip in 10.0.0.0/+8", S2S_REASON_CAVEAT_MALFORMED},
        {"client.ip in 10.0.0.0/8/8", S2S_REASON_CAVEAT_MALFORMED},
        {"client.ip in 10.0.0.0/1000", S2S_REASON_CAVEAT_MALFORMED},
        {"client.ip in 010.0.0.0/8", S2S_REASON_CAVEAT_MALFORMED},  // octal-looking
        {"client.ip in 10.0.0/24", S2S_REASON_CAVEAT_MALFORMED},
        {"client.ip in 10.0.0.256", S2S_REASON_CAVEAT_MALFORMED},
        {"client.ip in 0x0a.0.0.0/8", S2S_REASON_CAVEAT_MALFORMED},
        {"client.ip in localhost", S2S_REASON_CAVEAT_MALFORMED},
        {"client.ip in /8", S2S_REASON_CAVEAT_MALFORMED},
        {"client.ip in 10.0.0.0/8,", S2S_REASON_CAVEAT_MALFORMED},
        {"client.ip in 10.0.0.0/8, 11.0.0.0/8", S2S_REASON_CAVEAT_MALFORMED},
        {"client.ip in 10.0.0.0/8,,11.0.0.0/8", S2S_REASON_CAVEAT_MALFORMED},
        // A bad item is malformed even after an item that matched.
        {"client.ip in 10.0.0.0/8,bogus", S2S_REASON_CAVEAT_MALFORMED},
        {"client.ip in [::1]", S2S_REASON_CAVEAT_MALFORMED},
        {"client.ip in fe80::1%eth0", S2S_REASON_CAVEAT_MALFORMED},
    };
    check(cases, full_context(), PeerFacts{});
}

void test_client_ip_v6_and_mapped(void **) {
    Context v6 = full_context();
    assert_true(s2s::parse_ip("2001:db8::5", v6.client_ip));
    static const Case v6_cases[] = {
        {"client.ip in 2001:db8::/32", S2S_REASON_OK},
        {"client.ip in 2001:db8::5", S2S_REASON_OK},  // a bare address is /128
        {"client.ip in 2001:db8::5/128", S2S_REASON_OK},
        {"client.ip in 2001:db8::4/127", S2S_REASON_OK},
        {"client.ip in ::/0", S2S_REASON_OK},
        {"client.ip in 10.0.0.0/8,2001:db8::/48", S2S_REASON_OK},
        {"client.ip in 2001:db9::/32", S2S_REASON_CAVEAT_UNSATISFIED},
        {"client.ip in 2001:db8::6/127", S2S_REASON_CAVEAT_UNSATISFIED},
        {"client.ip in 0.0.0.0/0", S2S_REASON_CAVEAT_UNSATISFIED},
        {"client.ip in 2001:db8::/129", S2S_REASON_CAVEAT_MALFORMED},
        {"client.ip in 2001:db8::1/32", S2S_REASON_CAVEAT_MALFORMED},  // host bits set
        {"client.ip in 2001:db8::5/127", S2S_REASON_CAVEAT_MALFORMED},
        {"client.ip in 2001:db8:::/32", S2S_REASON_CAVEAT_MALFORMED},
        {"client.ip in 2001:db8::/032", S2S_REASON_CAVEAT_MALFORMED},
        {"client.ip in 2001:DB8::/32", S2S_REASON_OK},  // hex digits in either case
    };
    check(v6_cases, v6, PeerFacts{});

    Context mapped = full_context();
    assert_true(s2s::parse_ip("::ffff:10.1.2.3", mapped.client_ip));
    assert_int_equal(mapped.client_ip.family, 6);
    static const Case mapped_cases[] = {
        {"client.ip in 10.0.0.0/8", S2S_REASON_OK},
        {"client.ip in 10.1.2.3", S2S_REASON_OK},
        {"client.ip in ::ffff:10.0.0.0/104", S2S_REASON_OK},
        {"client.ip in ::ffff:0:0/96", S2S_REASON_OK},
        {"client.ip in 11.0.0.0/8", S2S_REASON_CAVEAT_UNSATISFIED},
        {"client.ip in 10.1.2.4", S2S_REASON_CAVEAT_UNSATISFIED},
    };
    check(mapped_cases, mapped, PeerFacts{});

    // ::a.b.c.d (IPv4-compatible, deprecated) is not a mapped address.
    Context compat = full_context();
    assert_true(s2s::parse_ip("::10.1.2.3", compat.client_ip));
    static const Case compat_cases[] = {{"client.ip in 10.0.0.0/8", S2S_REASON_CAVEAT_UNSATISFIED}};
    check(compat_cases, compat, PeerFacts{});

    // Marked present without an address: nothing matches.
    Context marked;
    marked.present[S2S_ATTR_CLIENT_IP] = true;
    static const Case none[] = {
        {"client.ip in 0.0.0.0/0", S2S_REASON_CAVEAT_UNSATISFIED},
        {"client.ip in ::/0", S2S_REASON_CAVEAT_UNSATISFIED},
    };
    check(none, marked, PeerFacts{});
}

// ---- certificates --------------------------------------------------------------

void test_cert_sha256(void **) {
    static const Case trusted[] = {
        {"cert.sha256 = LXEWQrcmsEQBYnyp-6wy9chTD7GQPMTbAiWHF5IaSIE", S2S_REASON_OK},
        {"cert.sha256 = AXEWQrcmsEQBYnyp-6wy9chTD7GQPMTbAiWHF5IaSIE", S2S_REASON_CERT_MISMATCH},
        {"cert.sha256 = LXEWQrcmsEQBYnyp-6wy9chTD7GQPMTbAiWHF5IaSIA", S2S_REASON_CERT_MISMATCH},
        {"cert.sha256 = LXEWQrcmsEQBYnyp-6wy9chTD7GQPMTbAiWHF5IaSIE=", S2S_REASON_CAVEAT_MALFORMED},
        {"cert.sha256 = LXEWQrcmsEQBYnyp-6wy9chTD7GQPMTbAiWHF5IaSI", S2S_REASON_CAVEAT_MALFORMED},
        {"cert.sha256 = LXEWQrcmsEQBYnyp+6wy9chTD7GQPMTbAiWHF5IaSIE", S2S_REASON_CAVEAT_MALFORMED},
        // The last character carries 2 padding bits, which must be zero.
        {"cert.sha256 = LXEWQrcmsEQBYnyp-6wy9chTD7GQPMTbAiWHF5IaSIF", S2S_REASON_CAVEAT_MALFORMED},
        {"cert.sha256 = 2d7116", S2S_REASON_CAVEAT_MALFORMED},
    };
    check(trusted, Context{}, trusted_peer());

    PeerFacts untrusted = trusted_peer();
    untrusted.trusted = false;
    static const Case untrusted_cases[] = {
        {"cert.sha256 = LXEWQrcmsEQBYnyp-6wy9chTD7GQPMTbAiWHF5IaSIE", S2S_REASON_CERT_UNTRUSTED},
        {"cert.sha256 = AXEWQrcmsEQBYnyp-6wy9chTD7GQPMTbAiWHF5IaSIE", S2S_REASON_CERT_UNTRUSTED},
    };
    check(untrusted_cases, Context{}, untrusted);

    static const Case no_peer[] = {
        {"cert.sha256 = LXEWQrcmsEQBYnyp-6wy9chTD7GQPMTbAiWHF5IaSIE", S2S_REASON_CERT_REQUIRED},
        {"cert.sha256 = short", S2S_REASON_CAVEAT_MALFORMED},  // malformed before missing
    };
    check(no_peer, Context{}, PeerFacts{});
}

void test_spiffe_id(void **) {
    static const Case trusted[] = {
        {"spiffe.id = spiffe://example.org/ns/prod/sa/orders", S2S_REASON_OK},
        {"spiffe.id prefix spiffe://example.org", S2S_REASON_OK},
        {"spiffe.id prefix spiffe://example.org/", S2S_REASON_OK},
        {"spiffe.id prefix spiffe://example.org/ns/prod", S2S_REASON_OK},
        {"spiffe.id prefix spiffe://example.org/ns/prod/sa/orders", S2S_REASON_OK},
        {"spiffe.id = spiffe://example.org/ns/prod", S2S_REASON_CERT_MISMATCH},
        {"spiffe.id = spiffe://example.org/ns/prod/sa/orders2", S2S_REASON_CERT_MISMATCH},
        {"spiffe.id = SPIFFE://example.org/ns/prod/sa/orders", S2S_REASON_CAVEAT_MALFORMED},
        {"spiffe.id prefix spiffe://example.org/ns/pro", S2S_REASON_CERT_MISMATCH},
        {"spiffe.id prefix spiffe://example.or", S2S_REASON_CERT_MISMATCH},
        {"spiffe.id prefix spiffe://example.org/ns/prod/sa/orders/x", S2S_REASON_CERT_MISMATCH},
        {"spiffe.id = orders", S2S_REASON_CAVEAT_MALFORMED},
        {"spiffe.id = spiffe://", S2S_REASON_CAVEAT_MALFORMED},
        {"spiffe.id prefix spiffe://a b", S2S_REASON_CAVEAT_MALFORMED},
        {"spiffe.id in spiffe://example.org/a", S2S_REASON_CAVEAT_UNKNOWN},
    };
    check(trusted, Context{}, trusted_peer());

    PeerFacts no_id = trusted_peer();
    no_id.spiffe_id = "";
    static const Case no_id_cases[] = {
        {"spiffe.id = spiffe://example.org/ns/prod/sa/orders", S2S_REASON_CERT_MISMATCH},
        {"spiffe.id prefix spiffe://example.org", S2S_REASON_CERT_MISMATCH},
    };
    check(no_id_cases, Context{}, no_id);

    PeerFacts untrusted = trusted_peer();
    untrusted.trusted = false;
    static const Case untrusted_cases[] = {
        {"spiffe.id = spiffe://example.org/ns/prod/sa/orders", S2S_REASON_CERT_UNTRUSTED},
        {"spiffe.id prefix spiffe://example.org", S2S_REASON_CERT_UNTRUSTED},
    };
    check(untrusted_cases, Context{}, untrusted);

    static const Case no_peer[] = {
        {"spiffe.id = spiffe://example.org/ns/prod/sa/orders", S2S_REASON_CERT_REQUIRED},
        {"spiffe.id prefix spiffe://example.org", S2S_REASON_CERT_REQUIRED},
    };
    check(no_peer, Context{}, PeerFacts{});
}

// ---- HTTP ----------------------------------------------------------------------

void test_http(void **) {
    static const Case cases[] = {
        {"http.method in GET,HEAD", S2S_REASON_OK},
        {"http.method in GET", S2S_REASON_OK},
        {"http.method in get,head", S2S_REASON_CAVEAT_UNSATISFIED},  // exact case
        {"http.method in POST,PUT", S2S_REASON_CAVEAT_UNSATISFIED},
        {"http.method in GETX", S2S_REASON_CAVEAT_UNSATISFIED},
        {"http.method in GET,,HEAD", S2S_REASON_CAVEAT_MALFORMED},
        {"http.path = /v1/orders/7", S2S_REASON_OK},
        {"http.path = /v1/orders", S2S_REASON_CAVEAT_UNSATISFIED},
        {"http.path = /v1/orders/7/", S2S_REASON_CAVEAT_UNSATISFIED},
        {"http.path = /V1/orders/7", S2S_REASON_CAVEAT_UNSATISFIED},
        {"http.path prefix /v1/orders", S2S_REASON_OK},
        {"http.path prefix /v1/orders/", S2S_REASON_OK},
        {"http.path prefix /v1/orders/7", S2S_REASON_OK},
        {"http.path prefix /v1", S2S_REASON_OK},
        {"http.path prefix /", S2S_REASON_OK},
        {"http.path prefix /v1/order", S2S_REASON_CAVEAT_UNSATISFIED},
        {"http.path prefix /v1/orders/7/", S2S_REASON_CAVEAT_UNSATISFIED},
        {"http.path prefix /v1/orders/77", S2S_REASON_CAVEAT_UNSATISFIED},
        {"http.path prefix /v2", S2S_REASON_CAVEAT_UNSATISFIED},
        {"http.path prefix v1/orders", S2S_REASON_CAVEAT_MALFORMED},  // not a path
        {"http.path = v1", S2S_REASON_CAVEAT_MALFORMED},
        {"http.path in /v1", S2S_REASON_CAVEAT_UNKNOWN},
        {"http.host = api.example.com", S2S_REASON_OK},
        {"http.host in www.example.com,api.example.com", S2S_REASON_OK},
        {"http.host = API.example.com", S2S_REASON_CAVEAT_UNSATISFIED},  // byte-exact
        {"http.host = api.example.com.", S2S_REASON_CAVEAT_UNSATISFIED},
        {"http.host = example.com", S2S_REASON_CAVEAT_UNSATISFIED},
        {"http.host = \xd0\xb0pi.example.com", S2S_REASON_CAVEAT_UNSATISFIED},  // Cyrillic a
        {"http.host in www.example.com", S2S_REASON_CAVEAT_UNSATISFIED},
        {"http.host in api.example.com,", S2S_REASON_CAVEAT_MALFORMED},
    };
    check(cases, full_context(), PeerFacts{});

    // The host does not supply HTTP facts (the Redis proxy): deny as missing.
    Context redis_only;
    set(redis_only, S2S_ATTR_REDIS_CMD, "GET");
    static const Case missing[] = {
        {"http.path prefix /v1", S2S_REASON_CONTEXT_MISSING},
        {"http.path = /", S2S_REASON_CONTEXT_MISSING},
        {"http.method in GET", S2S_REASON_CONTEXT_MISSING},
        {"http.host = api.example.com", S2S_REASON_CONTEXT_MISSING},
        {"http.path prefix v1", S2S_REASON_CAVEAT_MALFORMED},  // malformed before missing
    };
    check(missing, redis_only, PeerFacts{});
}

void test_path_has_prefix(void **) {
    struct PrefixCase {
        std::string_view path, prefix;
        bool want;
    };
    static const PrefixCase cases[] = {
        {"/v1/orders", "/v1/orders", true},
        {"/v1/orders/", "/v1/orders", true},
        {"/v1/orders/7", "/v1/orders", true},
        {"/v1/orders/7", "/v1/orders/", true},
        {"/v1/ordersX", "/v1/orders", false},
        {"/v1/orders.json", "/v1/orders", false},
        {"/v1/orders", "/v1/orders/", false},
        {"/v1", "/v1/orders", false},
        {"/", "/", true},
        {"/anything", "/", true},
        {"", "/", false},
        {"/x", "", false},
        {"", "", false},
        {"/v1//orders", "/v1/", true},
        {"/v1/orders\0/x"sv, "/v1/orders", false},
    };
    int failures = 0;
    for (const PrefixCase &c : cases) {
        if (s2s::path_has_prefix(c.path, c.prefix) != c.want) {
            std::fprintf(stderr, "path_has_prefix(\"%s\", \"%s\") != %d\n",
                         printable(c.path).c_str(), printable(c.prefix).c_str(), c.want);
            ++failures;
        }
    }
    assert_int_equal(failures, 0);
}

// ---- Redis ---------------------------------------------------------------------

void test_redis_cmd(void **) {
    Context ctx = full_context();
    static const Case upper[] = {
        {"redis.cmd in get,set", S2S_REASON_OK},
        {"redis.cmd in GET", S2S_REASON_OK},
        {"redis.cmd in Get", S2S_REASON_OK},
        {"redis.cmd in set,del", S2S_REASON_CAVEAT_UNSATISFIED},
        {"redis.cmd in getex", S2S_REASON_CAVEAT_UNSATISFIED},
        {"redis.cmd in ge", S2S_REASON_CAVEAT_UNSATISFIED},
        {"redis.cmd in get,", S2S_REASON_CAVEAT_MALFORMED},
        {"redis.cmd = get", S2S_REASON_CAVEAT_UNKNOWN},
    };
    check(upper, ctx, PeerFacts{});
    set(ctx, S2S_ATTR_REDIS_CMD, "gEt");
    static const Case mixed[] = {{"redis.cmd in get,set", S2S_REASON_OK}};
    check(mixed, ctx, PeerFacts{});
    // Folding is ASCII only: a Kelvin sign is not a k.
    set(ctx, S2S_ATTR_REDIS_CMD, "\xe2\x84\xaa" "eys");
    static const Case kelvin[] = {{"redis.cmd in keys", S2S_REASON_CAVEAT_UNSATISFIED}};
    check(kelvin, ctx, PeerFacts{});
    static const Case missing[] = {{"redis.cmd in get", S2S_REASON_CONTEXT_MISSING}};
    check(missing, Context{}, PeerFacts{});
}

void test_redis_key(void **) {
    Context ctx = full_context();
    static const Case two_keys[] = {
        {"redis.key prefix app:", S2S_REASON_OK},
        {"redis.key prefix app", S2S_REASON_OK},  // plain byte prefix, no segments
        {"redis.key prefix app:1,app:2", S2S_REASON_OK},
        {"redis.key prefix other:,app:", S2S_REASON_OK},
        {"redis.key prefix app:1", S2S_REASON_CAVEAT_UNSATISFIED},  // app:2 is not covered
        {"redis.key prefix App:", S2S_REASON_CAVEAT_UNSATISFIED},
        {"redis.key prefix app:1:x", S2S_REASON_CAVEAT_UNSATISFIED},
        {"redis.key prefix app:,", S2S_REASON_CAVEAT_MALFORMED},
        {"redis.key prefix app:,,x", S2S_REASON_CAVEAT_MALFORMED},
        {"redis.key in app:", S2S_REASON_CAVEAT_UNKNOWN},
    };
    check(two_keys, ctx, PeerFacts{});

    ctx.redis_keys = {"app:1", "other:2", "app:3"};  // one key outside the prefix
    static const Case one_fails[] = {
        {"redis.key prefix app:", S2S_REASON_CAVEAT_UNSATISFIED},
        {"redis.key prefix app:,other:", S2S_REASON_OK},
    };
    check(one_fails, ctx, PeerFacts{});

    ctx.redis_keys = {"app:\0secret"sv, "app:\xff"sv};  // keys are binary
    static const Case binary[] = {
        {"redis.key prefix app:", S2S_REASON_OK},
        {"redis.key prefix app:s", S2S_REASON_CAVEAT_UNSATISFIED},
    };
    check(binary, ctx, PeerFacts{});

    ctx.redis_keys = {""sv};
    static const Case empty_key[] = {{"redis.key prefix a", S2S_REASON_CAVEAT_UNSATISFIED}};
    check(empty_key, ctx, PeerFacts{});

    ctx.redis_keys.clear();  // present, no keys (PING): nothing to reach
    static const Case zero[] = {{"redis.key prefix app:", S2S_REASON_OK}};
    check(zero, ctx, PeerFacts{});

    ctx.present[S2S_ATTR_REDIS_KEY] = false;  // keys unknowable: deny
    static const Case absent[] = {
        {"redis.key prefix app:", S2S_REASON_CONTEXT_MISSING},
        {"redis.key prefix app:,", S2S_REASON_CAVEAT_MALFORMED},
    };
    check(absent, ctx, PeerFacts{});
}

void test_redis_channel(void **) {
    Context ctx = full_context();
    static const Case cases[] = {
        {"redis.channel prefix news.", S2S_REASON_OK},
        {"redis.channel prefix news.eu,news.us", S2S_REASON_OK},
        {"redis.channel prefix news.eu", S2S_REASON_CAVEAT_UNSATISFIED},
        {"redis.channel prefix app:", S2S_REASON_CAVEAT_UNSATISFIED},  // keys are not channels
    };
    check(cases, ctx, PeerFacts{});
    ctx.redis_channels.clear();
    static const Case zero[] = {{"redis.channel prefix news.", S2S_REASON_OK}};
    check(zero, ctx, PeerFacts{});
    ctx.present[S2S_ATTR_REDIS_CHANNEL] = false;
    static const Case absent[] = {{"redis.channel prefix news.", S2S_REASON_CONTEXT_MISSING}};
    check(absent, ctx, PeerFacts{});
}

void test_redis_user(void **) {
    // The proxy knows the backend user: the caveat must name it.
    static const Case supplied[] = {
        {"redis.user = app", S2S_REASON_OK},
        {"redis.user = admin", S2S_REASON_CAVEAT_UNSATISFIED},
        {"redis.user = App", S2S_REASON_CAVEAT_UNSATISFIED},
        {"redis.user in app", S2S_REASON_CAVEAT_UNKNOWN},
    };
    check(supplied, full_context(), PeerFacts{});

    // Supplied as an empty value: still a value, which no caveat names.
    Context empty;
    set(empty, S2S_ATTR_REDIS_USER, ""sv);
    static const Case empty_cases[] = {{"redis.user = app", S2S_REASON_CAVEAT_UNSATISFIED}};
    check(empty_cases, empty, PeerFacts{});

    // Present without a value: the token declares the user, consistently.
    Context ctx;
    ctx.present[S2S_ATTR_REDIS_USER] = true;
    PeerFacts peer;
    CaveatState state;
    assert_int_equal(s2s::eval_caveat("redis.user = app", ctx, peer, kNow, state).reason,
                     S2S_REASON_OK);
    assert_true(state.redis_user == "app");
    assert_int_equal(s2s::eval_caveat("redis.user = app", ctx, peer, kNow, state).reason,
                     S2S_REASON_OK);
    assert_int_equal(s2s::eval_caveat("redis.user = admin", ctx, peer, kNow, state).reason,
                     S2S_REASON_IDENTITY_CONFLICT);
    assert_true(state.redis_user == "app");
    assert_true(state.identity.empty());  // independent of `identity`

    static const Case absent[] = {{"redis.user = app", S2S_REASON_CONTEXT_MISSING}};
    check(absent, Context{}, PeerFacts{});
}

// ---- PostgreSQL ----------------------------------------------------------------

void test_pg(void **) {
    static const Case cases[] = {
        {"pg.db in sales", S2S_REASON_OK},
        {"pg.db in hr,sales", S2S_REASON_OK},
        {"pg.db in Sales", S2S_REASON_CAVEAT_UNSATISFIED},
        {"pg.db in sale", S2S_REASON_CAVEAT_UNSATISFIED},
        {"pg.db in sales,", S2S_REASON_CAVEAT_MALFORMED},
        {"pg.role in reader,writer", S2S_REASON_OK},
        {"pg.role in writer", S2S_REASON_CAVEAT_UNSATISFIED},
        {"pg.role in readers", S2S_REASON_CAVEAT_UNSATISFIED},
        {"pg.role = reader", S2S_REASON_OK},
        {"pg.role = writer", S2S_REASON_CAVEAT_UNSATISFIED},
        {"pg.db = sales", S2S_REASON_OK},
        {"pg.db = sales,hr", S2S_REASON_CAVEAT_UNSATISFIED},  // `=` takes the whole value
        {"pg.role prefix read", S2S_REASON_CAVEAT_UNKNOWN},
    };
    check(cases, full_context(), PeerFacts{});
    static const Case missing[] = {
        {"pg.db in sales", S2S_REASON_CONTEXT_MISSING},
        {"pg.role in reader", S2S_REASON_CONTEXT_MISSING},
    };
    check(missing, Context{}, PeerFacts{});
}

// ---- every attribute-backed key, by its C ABI name ----------------------------

// Builds "<s2s_attr_name(attr)> <op> <value>" so that the evaluator's key table
// and the C ABI's attribute names cannot drift apart.
void test_every_attr_missing_and_present(void **) {
    struct Sample {
        s2s_attr attr;
        const char *op_value;
    };
    static const Sample samples[] = {
        {S2S_ATTR_SERVICE, "= orders"},
        {S2S_ATTR_CLIENT_IP, "in 10.0.0.0/8"},
        {S2S_ATTR_HTTP_METHOD, "in GET"},
        {S2S_ATTR_HTTP_PATH, "prefix /v1/orders"},
        {S2S_ATTR_HTTP_HOST, "= api.example.com"},
        {S2S_ATTR_REDIS_CMD, "in get"},
        {S2S_ATTR_REDIS_KEY, "prefix app:"},
        {S2S_ATTR_REDIS_CHANNEL, "prefix news."},
        {S2S_ATTR_REDIS_USER, "= app"},
        {S2S_ATTR_PG_DB, "in sales"},
        {S2S_ATTR_PG_ROLE, "in reader"},
    };
    static_assert(sizeof samples / sizeof samples[0] == S2S_ATTR_COUNT);
    Context full = full_context();
    for (const Sample &s : samples) {
        const char *name = s2s_attr_name(s.attr);
        assert_non_null(name);
        std::string caveat = std::string(name) + " " + s.op_value;
        CaveatState st1, st2;
        assert_int_equal(s2s::eval_caveat(caveat, Context{}, PeerFacts{}, kNow, st1).reason,
                         S2S_REASON_CONTEXT_MISSING);
        assert_int_equal(s2s::eval_caveat(caveat, full, PeerFacts{}, kNow, st2).reason,
                         S2S_REASON_OK);
    }
}

// Caveats are conjunctive: a chain fails on its first unsatisfied caveat, and
// the state of earlier ones (identity) carries over.
void test_conjunction(void **) {
    Context ctx = full_context();
    PeerFacts peer = trusted_peer();
    static const std::string_view chain[] = {
        "time < 2026-12-03T13:00:00Z",
        "service in orders,billing",
        "identity = orders-svc",
        "http.method in GET,HEAD",
        "http.path prefix /v1/orders",
        "client.ip in 10.0.0.0/8",
        "cert.sha256 = LXEWQrcmsEQBYnyp-6wy9chTD7GQPMTbAiWHF5IaSIE",
        "spiffe.id prefix spiffe://example.org/ns/prod",
        "identity = orders-svc",
    };
    CaveatState state;
    for (std::string_view c : chain) {
        assert_int_equal(s2s::eval_caveat(c, ctx, peer, kNow, state).reason, S2S_REASON_OK);
    }
    assert_true(state.identity == "orders-svc");
    assert_int_equal(s2s::eval_caveat("identity = billing-svc", ctx, peer, kNow, state).reason,
                     S2S_REASON_IDENTITY_CONFLICT);
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lexical),
        cmocka_unit_test(test_service),
        cmocka_unit_test(test_time_boundaries),
        cmocka_unit_test(test_time_malformed),
        cmocka_unit_test(test_rfc3339_parse_format),
        cmocka_unit_test(test_identity),
        cmocka_unit_test(test_client_ip_v4),
        cmocka_unit_test(test_client_ip_v6_and_mapped),
        cmocka_unit_test(test_cert_sha256),
        cmocka_unit_test(test_spiffe_id),
        cmocka_unit_test(test_http),
        cmocka_unit_test(test_path_has_prefix),
        cmocka_unit_test(test_redis_cmd),
        cmocka_unit_test(test_redis_key),
        cmocka_unit_test(test_redis_channel),
        cmocka_unit_test(test_redis_user),
        cmocka_unit_test(test_pg),
        cmocka_unit_test(test_every_attr_missing_and_present),
        cmocka_unit_test(test_conjunction),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
