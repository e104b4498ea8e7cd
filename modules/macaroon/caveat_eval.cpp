// caveat_eval.cpp: the first-party caveat language, one evaluator for all hosts.
//
// A caveat is "key SP op SP value".  Evaluation runs in a fixed order so that
// the same token gets the same answer on every host:
//
//   1. lexical:  printable UTF-8 text, single spaces, key [a-z0-9._]+, ASCII op,
//                non-empty value                       else CAVEAT_MALFORMED
//   2. key:      a row of kRules                       else CAVEAT_UNKNOWN
//   3. operator: one the row allows                    else CAVEAT_UNKNOWN
//   4. value:    parses for that key and operator      else CAVEAT_MALFORMED
//   5. context:  the host supplied the attribute       else CONTEXT_MISSING
//                (or, at s2s_authenticate only, deferred it to grant checks)
//   6. match:    the row's matcher                     else its specific reason
//
// Steps 1-4 depend on the token alone, so a malformed caveat is reported as
// malformed even by a host that does not supply its attribute.
//
// Control characters (C0, DEL and C1) and invalid UTF-8 are refused anywhere
// in a caveat: values end up in HTTP headers, logs and the decision's identity,
// where a CR/LF or an overlong encoding of '/' would be an injection or a
// look-alike.  Comparison is byte-exact: no normalization, no case folding
// except for Redis command names, which Redis itself folds.
//
// Nothing here allocates: lists are walked in place, addresses are parsed into
// stack buffers, and the state's views point into the caveat text.
#include "caveat_eval.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace s2s {
namespace {

// ---- operators ---------------------------------------------------------------

enum Op : unsigned {
    kOpEq = 1u << 0,      // =
    kOpIn = 1u << 1,      // in a,b
    kOpPrefix = 1u << 2,  // prefix p   /  prefix p1,p2 for Redis keys and channels
    kOpBefore = 1u << 3,  // <  (time: expires)
    kOpAfter = 1u << 4,   // >  (time: not before)
};

struct OpToken {
    std::string_view token;
    Op op;
};

constexpr OpToken kOpTokens[] = {
    {"=", kOpEq}, {"in", kOpIn}, {"prefix", kOpPrefix}, {"<", kOpBefore}, {">", kOpAfter},
};

// ---- lexical rules -----------------------------------------------------------

// The length of the UTF-8 sequence at p (strict RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF), or 0 if it is invalid or encodes a C1
// control (U+0080..U+009F).  p[0] is not ASCII.
size_t utf8_sequence(const unsigned char *p, size_t avail) {
    unsigned c = p[0];
    size_t extra;
    unsigned cp;
    unsigned min;
    if (c >= 0xc2 && c <= 0xdf) {
        extra = 1, cp = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        extra = 2, cp = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        extra = 3, cp = c & 0x07, min = 0x10000;
    } else {
        return 0;  // a continuation byte first, 0xc0/0xc1, or 0xf5..0xff
    }
    if (avail <= extra) return 0;
    for (size_t i = 1; i <= extra; ++i) {
        if ((p[i] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    if (cp <= 0x9f) return 0;
    return extra + 1;
}

constexpr std::array<bool, 256> kKeyChars = [] {
    std::array<bool, 256> t{};
    for (int c = 'a'; c <= 'z'; ++c) t[static_cast<size_t>(c)] = true;
    for (int c = '0'; c <= '9'; ++c) t[static_cast<size_t>(c)] = true;
    t['.'] = t['_'] = true;
    return t;
}();

bool key_char(char c) { return kKeyChars[static_cast<unsigned char>(c)]; }

// Whether text is printable ASCII (0x20..0x7e): the common case, checked
// eight bytes at a time (a caveat is the one input whose every byte is looked
// at on every request).  hasless(x, n) = (x - n*ones) & ~x & highs is non-zero
// exactly when some byte of x is below n (n <= 128).
bool plain_ascii(const unsigned char *s, size_t n) {
    constexpr uint64_t kOnes = 0x0101010101010101ull;
    constexpr uint64_t kHighs = 0x8080808080808080ull;
    auto bad_bytes = [&](uint64_t x) {
        uint64_t below_space = (x - kOnes * 0x20) & ~x & kHighs;
        uint64_t del = x ^ (kOnes * 0x7f);  // a zero byte where x has DEL
        uint64_t is_del = (del - kOnes) & ~del & kHighs;
        return below_space | is_del | (x & kHighs);
    };
    if (n < 8) {
        for (size_t i = 0; i < n; ++i) {
            if (s[i] < 0x20 || s[i] > 0x7e) return false;
        }
        return true;
    }
    uint64_t bad = 0;
    uint64_t x;
    for (size_t i = 0; i + 8 <= n; i += 8) {
        std::memcpy(&x, s + i, 8);
        bad |= bad_bytes(x);
    }
    std::memcpy(&x, s + n - 8, 8);  // the tail, overlapping the last full word
    return (bad | bad_bytes(x)) == 0;
}

// The general scan, for text with non-ASCII bytes: strict UTF-8 without
// control characters.
bool printable_utf8(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f) return false;
            ++i;
        } else {
            size_t len = utf8_sequence(s + i, n - i);
            if (len == 0) return false;
            i += len;
        }
    }
    return true;
}

// Splits "key SP op SP value"; false if the caveat breaks a lexical rule: a
// control byte (C0, DEL, C1) or invalid UTF-8 anywhere, a leading, trailing
// or doubled space, fewer than two spaces, a key outside [a-z0-9._], or a
// non-ASCII operator.
bool split_caveat(std::string_view caveat, std::string_view &key, std::string_view &op,
                  std::string_view &value) {
    const auto *s = reinterpret_cast<const unsigned char *>(caveat.data());
    const size_t n = caveat.size();
    if (n < 5 || s[0] == ' ' || s[n - 1] == ' ') return false;
    if (!plain_ascii(s, n) && !printable_utf8(s, n)) return false;
    // Spaces are few: visit each, refusing a doubled one.  With no leading,
    // trailing or doubled space, the three parts cannot be empty.
    size_t sp1 = std::string_view::npos, sp2 = std::string_view::npos;
    constexpr size_t kNone = std::string_view::npos;
    for (size_t sp = caveat.find(' '); sp != kNone; sp = caveat.find(' ', sp + 1)) {
        if (s[sp + 1] == ' ') return false;
        if (sp1 == std::string_view::npos) {
            sp1 = sp;
        } else if (sp2 == std::string_view::npos) {
            sp2 = sp;
        }
    }
    if (sp2 == std::string_view::npos) return false;
    key = caveat.substr(0, sp1);
    op = caveat.substr(sp1 + 1, sp2 - sp1 - 1);
    value = caveat.substr(sp2 + 1);
    for (char c : key) {
        if (!key_char(c)) return false;
    }
    for (char c : op) {
        if (static_cast<unsigned char>(c) >= 0x80) return false;
    }
    return true;
}

// ---- lists -------------------------------------------------------------------

// Walks "a,b,c" one item at a time, in place.
class ListItems {
public:
    explicit ListItems(std::string_view list) : rest_(list) {}

    bool next(std::string_view &item) {
        if (done_) return false;
        size_t comma = 0;
        while (comma < rest_.size() && rest_[comma] != ',') ++comma;
        item = rest_.substr(0, comma);
        if (comma == rest_.size()) {
            done_ = true;
        } else {
            rest_.remove_prefix(comma + 1);
        }
        return true;
    }

private:
    std::string_view rest_;
    bool done_ = false;
};

// Items are non-empty and contain no space: no leading, trailing or doubled
// comma, no space anywhere.
bool valid_list(std::string_view list) {
    if (list.empty() || list.front() == ',' || list.back() == ',') return false;
    for (size_t i = 0; i < list.size(); ++i) {
        if (list[i] == ' ' || (list[i] == ',' && list[i - 1] == ',')) return false;
    }
    return true;
}

bool list_contains(std::string_view list, std::string_view actual) {
    ListItems items(list);
    std::string_view item;
    while (items.next(item)) {
        if (item == actual) return true;
    }
    return false;
}

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool ascii_iequal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    }
    return true;
}

// ---- addresses ---------------------------------------------------------------

struct Cidr {
    IpAddress network;
    unsigned bits = 0;
};

size_t address_bytes(const IpAddress &a) { return a.family == 4 ? 4 : 16; }

// Whether the first `bits` bits of a and b agree.
bool same_prefix(const uint8_t *a, const uint8_t *b, unsigned bits) {
    size_t whole = bits / 8;
    for (size_t i = 0; i < whole; ++i) {
        if (a[i] != b[i]) return false;
    }
    unsigned rest = bits % 8;
    if (rest == 0) return true;
    auto mask = static_cast<uint8_t>(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

bool host_bits_zero(const IpAddress &a, unsigned bits) {
    size_t n = address_bytes(a);
    for (size_t i = bits / 8; i < n; ++i) {
        unsigned keep = (i == bits / 8) ? bits % 8 : 0;
        auto host_mask = static_cast<uint8_t>(0xff >> keep);
        if ((a.bytes[i] & host_mask) != 0) return false;
    }
    return true;
}

// "addr" or "addr/len"; len in decimal without leading zeros, no host bits set.
bool parse_cidr(std::string_view text, Cidr &out) {
    size_t slash = text.find('/');
    if (!parse_ip(text.substr(0, slash), out.network)) return false;
    unsigned max_bits = out.network.family == 4 ? 32 : 128;
    if (slash == std::string_view::npos) {
        out.bits = max_bits;
        return true;
    }
    std::string_view len = text.substr(slash + 1);
    if (len.empty() || len.size() > 3 || (len.size() > 1 && len[0] == '0')) return false;
    unsigned bits = 0;
    for (char c : len) {
        if (c < '0' || c > '9') return false;
        bits = bits * 10 + static_cast<unsigned>(c - '0');
    }
    if (bits > max_bits) return false;
    out.bits = bits;
    return host_bits_zero(out.network, bits);
}

bool valid_cidr_list(std::string_view list) {
    if (!valid_list(list)) return false;
    ListItems items(list);
    std::string_view item;
    Cidr cidr;
    while (items.next(item)) {
        if (!parse_cidr(item, cidr)) return false;
    }
    return true;
}

// ::ffff:a.b.c.d, the form an IPv4 client takes on a dual-stack (AF_INET6,
// IPV6_V6ONLY off) listener.
bool ipv4_mapped(const IpAddress &a) {
    static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (a.family != 6) return false;
    for (size_t i = 0; i < sizeof kMapped; ++i) {
        if (a.bytes[i] != kMapped[i]) return false;
    }
    return true;
}

// An IPv4 network matches an IPv4 client and an IPv4-mapped IPv6 client: the
// same machine reaches a dual-stack listener as ::ffff:a.b.c.d, and a token
// scoped to 10.0.0.0/8 must not stop working when the host switches listeners.
// The reverse is not done: an IPv6 network matches IPv6 clients only (a plain
// IPv4 client never matches ::ffff:0:0/96), which can only deny.
bool cidr_contains(const Cidr &cidr, const IpAddress &client) {
    if (cidr.network.family == 4) {
        const uint8_t *network = cidr.network.bytes.data();
        if (client.family == 4) return same_prefix(network, client.bytes.data(), cidr.bits);
        if (ipv4_mapped(client)) {
            return same_prefix(network, client.bytes.data() + 12, cidr.bits);
        }
        return false;
    }
    return client.family == 6 &&
           same_prefix(cidr.network.bytes.data(), client.bytes.data(), cidr.bits);
}

// ---- certificates ------------------------------------------------------------

int base64url_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

// RFC 8705 x5t#S256: base64url without padding of 32 bytes, in canonical form
// (43 characters; the last carries 4 bits of data and 2 zero bits).
bool valid_x5t_s256(std::string_view v) {
    if (v.size() != 43) return false;
    for (char c : v) {
        if (base64url_value(c) < 0) return false;
    }
    return (base64url_value(v.back()) & 0x3) == 0;
}

constexpr std::string_view kSpiffeScheme = "spiffe://";

bool valid_spiffe_value(std::string_view v) {
    return v.size() > kSpiffeScheme.size() && v.substr(0, kSpiffeScheme.size()) == kSpiffeScheme &&
           v.find(' ') == std::string_view::npos;
}

// The reasons every certificate-bound caveat shares, before comparing.
s2s_reason peer_reason(const PeerFacts &peer) {
    if (!peer.present) return S2S_REASON_CERT_REQUIRED;
    if (!peer.trusted) return S2S_REASON_CERT_UNTRUSTED;
    return S2S_REASON_OK;
}

// ---- the table ---------------------------------------------------------------

struct Facts {
    const Context &ctx;
    const PeerFacts &peer;
    int64_t now;  // the context's time if set, else the clock
};

struct KeyRule;
// Whether `value` is well formed for this key and operator.
using Validator = bool (*)(Op op, std::string_view value);
// Whether the context meets the caveat; called only when the row's attribute
// (if any) is present and, unless the row sets match_validates, after the
// validator accepted the value.
using Matcher = s2s_reason (*)(const KeyRule &rule, Op op, std::string_view value,
                               const Facts &facts, CaveatState &state);

constexpr int kNoAttr = -1;  // a row that reads the clock, the peer or the state

struct KeyRule {
    std::string_view key;
    int attr;       // the s2s_attr the row reads, or kNoAttr
    unsigned ops;   // Op bits the key accepts
    Validator valid;
    Matcher match;
    // The matcher parses the whole value itself and returns CAVEAT_MALFORMED
    // exactly when `valid` would refuse it, so a present attribute costs one
    // parse instead of two (addresses, times); `valid` then runs only when
    // the attribute is missing.
    bool match_validates = false;
};

// Validators.

bool valid_text_or_list(Op op, std::string_view value) { return op != kOpIn || valid_list(value); }

bool valid_list_value(Op, std::string_view value) { return valid_list(value); }

bool valid_any(Op, std::string_view) { return true; }

bool valid_time(Op, std::string_view value) {
    int64_t seconds;
    bool frac;
    return parse_rfc3339_utc(value, seconds, frac);
}

bool valid_cidrs(Op, std::string_view value) { return valid_cidr_list(value); }

bool valid_cert_sha256(Op, std::string_view value) { return valid_x5t_s256(value); }

bool valid_spiffe(Op, std::string_view value) { return valid_spiffe_value(value); }

bool valid_path(Op, std::string_view value) { return value.front() == '/'; }

// Matchers.

s2s_reason match_time(const KeyRule &, Op op, std::string_view value, const Facts &facts,
                      CaveatState &) {
    int64_t t;
    bool frac;
    if (!parse_rfc3339_utc(value, t, frac)) return S2S_REASON_CAVEAT_MALFORMED;
    // The clock has whole seconds: now < t.f holds at now == t when f > 0, and
    // now > t.f is the same as now > t.
    if (op == kOpBefore) {
        bool before = frac ? facts.now <= t : facts.now < t;
        return before ? S2S_REASON_OK : S2S_REASON_EXPIRED;
    }
    return facts.now > t ? S2S_REASON_OK : S2S_REASON_NOT_YET_VALID;
}

s2s_reason match_text(const KeyRule &rule, Op op, std::string_view value, const Facts &facts,
                      CaveatState &) {
    std::string_view actual = facts.ctx.value[static_cast<size_t>(rule.attr)];
    // A single-valued attribute marked present without a value (data() null)
    // matches nothing: caveat values are never empty.
    bool ok = op == kOpEq ? actual.data() != nullptr && actual == value
                          : actual.data() != nullptr && list_contains(value, actual);
    return ok ? S2S_REASON_OK : S2S_REASON_CAVEAT_UNSATISFIED;
}

s2s_reason match_identity(const KeyRule &, Op, std::string_view value, const Facts &,
                          CaveatState &state) {
    if (state.identity.empty()) {
        state.identity = value;
        return S2S_REASON_OK;
    }
    return state.identity == value ? S2S_REASON_OK : S2S_REASON_IDENTITY_CONFLICT;
}

// Parses every item, even after a match, so that a bad item is malformed
// whatever the client address (as valid_cidrs would say).
s2s_reason match_client_ip(const KeyRule &, Op, std::string_view value, const Facts &facts,
                           CaveatState &) {
    if (!valid_list(value)) return S2S_REASON_CAVEAT_MALFORMED;
    ListItems items(value);
    std::string_view item;
    Cidr cidr;
    bool matched = false;
    while (items.next(item)) {
        if (!parse_cidr(item, cidr)) return S2S_REASON_CAVEAT_MALFORMED;
        matched = matched || cidr_contains(cidr, facts.ctx.client_ip);
    }
    return matched ? S2S_REASON_OK : S2S_REASON_CAVEAT_UNSATISFIED;
}

s2s_reason match_cert_sha256(const KeyRule &, Op, std::string_view value, const Facts &facts,
                             CaveatState &) {
    s2s_reason r = peer_reason(facts.peer);
    if (r != S2S_REASON_OK) return r;
    return facts.peer.cert_sha256 == value ? S2S_REASON_OK : S2S_REASON_CERT_MISMATCH;
}

s2s_reason match_spiffe_id(const KeyRule &, Op op, std::string_view value, const Facts &facts,
                           CaveatState &) {
    s2s_reason r = peer_reason(facts.peer);
    if (r != S2S_REASON_OK) return r;
    std::string_view id = facts.peer.spiffe_id;
    bool ok = !id.empty() && (op == kOpEq ? id == value : path_has_prefix(id, value));
    return ok ? S2S_REASON_OK : S2S_REASON_CERT_MISMATCH;
}

s2s_reason match_http_path(const KeyRule &rule, Op op, std::string_view value, const Facts &facts,
                           CaveatState &) {
    std::string_view path = facts.ctx.value[static_cast<size_t>(rule.attr)];
    bool ok = path.data() != nullptr &&
              (op == kOpEq ? path == value : path_has_prefix(path, value));
    return ok ? S2S_REASON_OK : S2S_REASON_CAVEAT_UNSATISFIED;
}

s2s_reason match_redis_cmd(const KeyRule &rule, Op, std::string_view value, const Facts &facts,
                           CaveatState &) {
    std::string_view cmd = facts.ctx.value[static_cast<size_t>(rule.attr)];
    if (cmd.data() == nullptr) return S2S_REASON_CAVEAT_UNSATISFIED;
    ListItems items(value);
    std::string_view item;
    while (items.next(item)) {
        if (ascii_iequal(item, cmd)) return S2S_REASON_OK;
    }
    return S2S_REASON_CAVEAT_UNSATISFIED;
}

// Every key (or channel) of the command starts with one of the prefixes.  A
// command with no keys passes: there is nothing it could reach.
s2s_reason match_redis_prefixes(const KeyRule &rule, Op, std::string_view value,
                                const Facts &facts, CaveatState &) {
    const auto &names =
        rule.attr == S2S_ATTR_REDIS_KEY ? facts.ctx.redis_keys : facts.ctx.redis_channels;
    for (std::string_view name : names) {
        bool covered = false;
        ListItems items(value);
        std::string_view prefix;
        while (!covered && items.next(prefix)) {
            covered = name.substr(0, prefix.size()) == prefix;
        }
        if (!covered) return S2S_REASON_CAVEAT_UNSATISFIED;
    }
    return S2S_REASON_OK;
}

// The proxy either knows the backend user (then the caveat must name it) or
// asks the token (present without a value): then the caveat declares it, and
// all such declarations must agree, as `identity` does.
s2s_reason match_redis_user(const KeyRule &rule, Op, std::string_view value, const Facts &facts,
                            CaveatState &state) {
    std::string_view user = facts.ctx.value[static_cast<size_t>(rule.attr)];
    if (user.data() != nullptr) {
        return user == value ? S2S_REASON_OK : S2S_REASON_CAVEAT_UNSATISFIED;
    }
    if (state.redis_user.empty()) {
        state.redis_user = value;
        return S2S_REASON_OK;
    }
    return state.redis_user == value ? S2S_REASON_OK : S2S_REASON_IDENTITY_CONFLICT;
}

// One row per caveat key: adding a key is adding a row.
constexpr KeyRule kRules[] = {
    {"time", kNoAttr, kOpBefore | kOpAfter, valid_time, match_time, true},
    {"service", S2S_ATTR_SERVICE, kOpEq | kOpIn, valid_text_or_list, match_text},
    {"identity", kNoAttr, kOpEq, valid_any, match_identity},
    {"client.ip", S2S_ATTR_CLIENT_IP, kOpIn, valid_cidrs, match_client_ip, true},
    {"cert.sha256", kNoAttr, kOpEq, valid_cert_sha256, match_cert_sha256},
    {"spiffe.id", kNoAttr, kOpEq | kOpPrefix, valid_spiffe, match_spiffe_id},
    {"http.method", S2S_ATTR_HTTP_METHOD, kOpIn, valid_list_value, match_text},
    {"http.path", S2S_ATTR_HTTP_PATH, kOpEq | kOpPrefix, valid_path, match_http_path},
    {"http.host", S2S_ATTR_HTTP_HOST, kOpEq | kOpIn, valid_text_or_list, match_text},
    {"redis.cmd", S2S_ATTR_REDIS_CMD, kOpIn, valid_list_value, match_redis_cmd},
    {"redis.key", S2S_ATTR_REDIS_KEY, kOpPrefix, valid_list_value, match_redis_prefixes},
    {"redis.channel", S2S_ATTR_REDIS_CHANNEL, kOpPrefix, valid_list_value, match_redis_prefixes},
    {"redis.user", S2S_ATTR_REDIS_USER, kOpEq, valid_any, match_redis_user},
    // `=` as well as `in`: PostgreSQL names may hold spaces and commas, which a
    // list cannot carry.
    {"pg.db", S2S_ATTR_PG_DB, kOpEq | kOpIn, valid_text_or_list, match_text},
    {"pg.role", S2S_ATTR_PG_ROLE, kOpEq | kOpIn, valid_text_or_list, match_text},
};

const KeyRule *find_rule(std::string_view key) {
    for (const KeyRule &rule : kRules) {
        if (rule.key.size() == key.size() && rule.key[0] == key[0] && rule.key == key) return &rule;
    }
    return nullptr;
}

bool find_op(std::string_view token, Op &out) {
    for (const OpToken &t : kOpTokens) {
        if (t.token == token) {
            out = t.op;
            return true;
        }
    }
    return false;
}

// ---- time --------------------------------------------------------------------

bool leap_year(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(int64_t y, unsigned m) {
    static constexpr unsigned kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return (m == 2 && leap_year(y)) ? 29 : kDays[m - 1];
}

// Days since 1970-01-01 of a proleptic Gregorian date (years >= 1970 here).
// Counting years from March puts the leap day last, so a month's offset is a
// closed formula: (153 * m' + 2) / 5 days before month m' (March = 0).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    if (m <= 2) y -= 1;
    int64_t era = y / 400;                                       // y >= 1969: no negative case
    auto year_of_era = static_cast<unsigned>(y - era * 400);     // [0, 399]
    unsigned month_from_march = m > 2 ? m - 3 : m + 9;           // [0, 11]
    unsigned day_of_year = (153 * month_from_march + 2) / 5 + d - 1;
    unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    // 719468 days from 0000-03-01 to 1970-01-01.
    return era * 146097 + static_cast<int64_t>(day_of_era) - 719468;
}

void civil_from_days(int64_t days, int64_t &y, unsigned &m, unsigned &d) {
    days += 719468;
    int64_t era = days / 146097;  // days >= 0 here
    auto day_of_era = static_cast<unsigned>(days - era * 146097);
    unsigned year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    unsigned day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    unsigned month_from_march = (5 * day_of_year + 2) / 153;
    d = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    m = month_from_march < 10 ? month_from_march + 3 : month_from_march - 9;
    y = static_cast<int64_t>(year_of_era) + era * 400 + (m <= 2 ? 1 : 0);
}

// Reads exactly `width` ASCII digits at text[pos].
bool read_digits(std::string_view text, size_t pos, size_t width, unsigned &out) {
    if (pos + width > text.size()) return false;
    out = 0;
    for (size_t i = pos; i < pos + width; ++i) {
        if (text[i] < '0' || text[i] > '9') return false;
        out = out * 10 + static_cast<unsigned>(text[i] - '0');
    }
    return true;
}

constexpr int64_t kMaxFormattable = 253402300799;  // 9999-12-31T23:59:59Z

}  // namespace

// "YYYY-MM-DDTHH:MM:SS[.d{1,9}]Z": uppercase T and Z, no offsets, no leap
// second, years 1970-9999.
bool parse_rfc3339_utc(std::string_view text, int64_t &seconds, bool &frac_nonzero) {
    unsigned year, month, day, hour, minute, second;
    if (text.size() < 20 || text.size() > 30) return false;
    if (!read_digits(text, 0, 4, year) || text[4] != '-' || !read_digits(text, 5, 2, month) ||
        text[7] != '-' || !read_digits(text, 8, 2, day) || text[10] != 'T' ||
        !read_digits(text, 11, 2, hour) || text[13] != ':' || !read_digits(text, 14, 2, minute) ||
        text[16] != ':' || !read_digits(text, 17, 2, second)) {
        return false;
    }
    size_t pos = 19;
    bool frac = false;
    if (text[pos] == '.') {
        size_t start = ++pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
            frac = frac || text[pos] != '0';
            ++pos;
        }
        if (pos == start || pos - start > 9) return false;
    }
    if (pos + 1 != text.size() || text[pos] != 'Z') return false;
    if (year < 1970 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) ||
        hour > 23 || minute > 59 || second > 59) {
        return false;
    }
    seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
    frac_nonzero = frac;
    return true;
}

// Whole seconds; "" outside 1970-01-01T00:00:00Z .. 9999-12-31T23:59:59Z, the
// range parse_rfc3339_utc accepts, so a caller cannot mint an unreadable time.
std::string format_rfc3339_utc(int64_t seconds) {
    if (seconds < 0 || seconds > kMaxFormattable) return {};
    int64_t days = seconds / 86400;
    int64_t in_day = seconds % 86400;
    int64_t y;
    unsigned m, d;
    civil_from_days(days, y, m, d);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ",
                  static_cast<long long>(y), m, d, static_cast<long long>(in_day / 3600),
                  static_cast<long long>(in_day / 60 % 60), static_cast<long long>(in_day % 60));
    return buf;
}

// `/v1/orders` covers `/v1/orders` and `/v1/orders/7`, not `/v1/ordersX`; a
// prefix ending in '/' covers everything below it.
bool path_has_prefix(std::string_view path, std::string_view prefix) {
    if (prefix.empty() || path.size() < prefix.size()) return false;
    if (path.substr(0, prefix.size()) != prefix) return false;
    return path.size() == prefix.size() || prefix.back() == '/' || path[prefix.size()] == '/';
}

CaveatResult eval_caveat(std::string_view caveat, const Context &ctx, const PeerFacts &peer,
                         int64_t now, CaveatState &state) {
    std::string_view key, op_token, value;
    if (!split_caveat(caveat, key, op_token, value)) return {S2S_REASON_CAVEAT_MALFORMED};
    const KeyRule *rule = find_rule(key);
    Op op;
    if (rule == nullptr || !find_op(op_token, op) || (rule->ops & op) == 0) {
        return {S2S_REASON_CAVEAT_UNKNOWN};
    }
    bool present = rule->attr == kNoAttr || ctx.present[static_cast<size_t>(rule->attr)];
    if ((!present || !rule->match_validates) && !rule->valid(op, value)) {
        return {S2S_REASON_CAVEAT_MALFORMED};
    }
    if (!present && state.honor_deferred && ctx.deferred[static_cast<size_t>(rule->attr)]) {
        return {S2S_REASON_OK};  // well formed; matched per request by s2s_grant_check
    }
    if (!present) return {S2S_REASON_CONTEXT_MISSING};
    Facts facts{ctx, peer, ctx.time_set ? ctx.now : now};
    return {rule->match(*rule, op, value, facts, state)};
}

}  // namespace s2s
