// context.cpp: the request facts a host hands to s2s_verify (s2s_context).
//
// A host fills one context per request and reuses it: reset keeps the
// capacity of the multi-valued lists, so the steady state does not allocate.
// Values are borrowed (pointer, length) byte strings and may contain NUL; only
// the client address is parsed and the HTTP path checked for "." and ".."
// segments here, at set time, so that a bad value is the host's error
// (S2S_ERR_INVALID_ARGUMENT) rather than a confusing deny or a wrong allow.
//
// Presence is explicit: a caveat on an attribute the host never set or marked
// present is denied with S2S_REASON_CONTEXT_MISSING.  A single-valued attribute
// marked present but never set keeps a null view (data() == nullptr), which
// the evaluator tells apart from an empty value: it matches no caveat value,
// except `redis.user`, where it lets the token declare the backend user.
#include "context.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>
#include <iterator>
#include <memory>
#include <new>

#include "result.hpp"

namespace s2s {

namespace {

// A dotted quad as inet_pton(AF_INET) reads it: exactly four decimal parts of
// one to three digits, each at most 255, and no leading zero ("010" is octal
// to inet_aton and other parsers, so it is refused rather than guessed).
// Written out because it runs for every client.ip caveat, where inet_pton's
// copy to a NUL-terminated buffer and its generic loop cost several times more.
bool parse_ipv4(std::string_view text, uint8_t out[4]) {
    size_t pos = 0;
    for (int part = 0; part < 4; ++part) {
        if (part > 0) {
            if (pos >= text.size() || text[pos] != '.') return false;
            ++pos;
        }
        size_t start = pos;
        unsigned value = 0;
        while (pos < text.size() && pos - start < 4 && text[pos] >= '0' && text[pos] <= '9') {
            value = value * 10 + static_cast<unsigned>(text[pos] - '0');
            ++pos;
        }
        size_t digits = pos - start;
        if (digits == 0 || digits > 3 || value > 255) return false;
        if (digits > 1 && text[start] == '0') return false;
        out[part] = static_cast<uint8_t>(value);
    }
    return pos == text.size();
}

// A path the caveat language can judge: no "." or ".." segment.  Hosts pass
// the path after their own normalization (nginx's $uri); a host that passed
// "/v1/orders/../admin" as is would otherwise match `http.path prefix
// /v1/orders` byte by byte while its server serves /admin.  Empty segments
// ("//") are left alone: they cannot climb out of a prefix.
bool path_without_dot_segments(std::string_view path) {
    size_t start = 0;
    for (;;) {
        size_t slash = path.find('/', start);
        size_t end = slash == std::string_view::npos ? path.size() : slash;
        std::string_view segment = path.substr(start, end - start);
        if (segment == "." || segment == "..") return false;
        if (slash == std::string_view::npos) return true;
        start = slash + 1;
    }
}

}  // namespace

bool parse_ip(std::string_view text, IpAddress &out) {
    IpAddress parsed;
    if (parse_ipv4(text, parsed.bytes.data())) {
        parsed.family = 4;
        out = parsed;
        return true;
    }
    if (text.find(':') == std::string_view::npos) return false;
    // inet_pton needs a NUL-terminated string; the longest textual address is
    // INET6_ADDRSTRLEN - 1 characters ("ffff:...:255.255.255.255").  It refuses
    // zone ids ("fe80::1%eth0"), brackets and leading zeros in an embedded quad.
    char buf[INET6_ADDRSTRLEN];
    if (text.size() >= sizeof buf) return false;
    if (text.find('\0') != std::string_view::npos) return false;
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    if (inet_pton(AF_INET6, buf, parsed.bytes.data()) != 1) return false;
    parsed.family = 6;
    out = parsed;
    return true;
}

}  // namespace s2s

namespace {

// Indexed by s2s_attr; the names are the caveat keys of caveat_eval.cpp.
constexpr const char *kAttrNames[] = {
    "service",     "client.ip", "http.method", "http.path", "http.host", "redis.cmd",
    "redis.key",   "redis.channel", "redis.user", "pg.db", "pg.role",
};
static_assert(std::size(kAttrNames) == S2S_ATTR_COUNT, "one name per s2s_attr");

bool valid_attr(s2s_attr attr) {
    auto i = static_cast<int>(attr);
    return i >= 0 && i < S2S_ATTR_COUNT;
}

}  // namespace

extern "C" {

S2S_API const char *s2s_attr_name(s2s_attr attr) {
    return valid_attr(attr) ? kAttrNames[attr] : nullptr;
}

S2S_API int s2s_attr_from_name(const char *name) {
    if (name == nullptr) return -1;
    for (int i = 0; i < S2S_ATTR_COUNT; ++i) {
        if (std::strcmp(kAttrNames[i], name) == 0) return i;
    }
    return -1;
}

S2S_API s2s_status s2s_context_new(s2s_context **out, s2s_error *err) {
    if (out == nullptr) {
        return s2s::export_error(S2S_ERR_INVALID_ARGUMENT, "invalid argument",
                                 "s2s_context_new: out is NULL", "", err);
    }
    *out = nullptr;
    try {
        auto ctx = std::make_unique<s2s_context>();
        // Room for a typical command's keys, so the first requests do not grow it.
        ctx->c.redis_keys.reserve(8);
        ctx->c.redis_channels.reserve(4);
        *out = ctx.release();
        return S2S_OK;
    } catch (const std::bad_alloc &) {
        return s2s::export_error(S2S_ERR_NO_MEMORY, "out of memory",
                                 "s2s_context_new could not allocate a context", "", err);
    }
}

S2S_API void s2s_context_reset(s2s_context *ctx) {
    if (ctx != nullptr) ctx->c.reset();
}

S2S_API s2s_status s2s_context_set(s2s_context *ctx, s2s_attr attr, const char *value,
                                   size_t len) {
    if (ctx == nullptr || !valid_attr(attr) || (value == nullptr && len != 0)) {
        return S2S_ERR_INVALID_ARGUMENT;
    }
    s2s::Context &c = ctx->c;
    // (NULL, 0) is the empty value, distinct from "present without a value".
    std::string_view v = value != nullptr ? std::string_view(value, len) : std::string_view("", 0);

    if (attr == S2S_ATTR_CLIENT_IP) {
        // A bad address clears any earlier one: a host that ignores the error
        // then gets CONTEXT_MISSING on client.ip caveats, never a stale match.
        s2s::IpAddress ip;
        if (!s2s::parse_ip(v, ip)) {
            c.client_ip = {};
            c.value[attr] = {};
            c.present[attr] = false;
            return S2S_ERR_INVALID_ARGUMENT;
        }
        c.client_ip = ip;
    } else if (attr == S2S_ATTR_HTTP_PATH && !s2s::path_without_dot_segments(v)) {
        // Not normalized: cleared like a bad address, so a host that ignores
        // the error gets CONTEXT_MISSING, never a match on the raw bytes.
        c.value[attr] = {};
        c.present[attr] = false;
        return S2S_ERR_INVALID_ARGUMENT;
    } else if (s2s::attr_multi_valued(attr)) {
        auto &list = attr == S2S_ATTR_REDIS_KEY ? c.redis_keys : c.redis_channels;
        try {
            list.push_back(v);
        } catch (const std::bad_alloc &) {
            return S2S_ERR_NO_MEMORY;
        }
        c.present[attr] = true;
        return S2S_OK;
    }
    c.value[attr] = v;
    c.present[attr] = true;
    return S2S_OK;
}

S2S_API s2s_status s2s_context_mark_present(s2s_context *ctx, s2s_attr attr) {
    if (ctx == nullptr || !valid_attr(attr)) return S2S_ERR_INVALID_ARGUMENT;
    ctx->c.present[attr] = true;
    return S2S_OK;
}

S2S_API s2s_status s2s_context_defer(s2s_context *ctx, s2s_attr attr) {
    if (ctx == nullptr || !valid_attr(attr)) return S2S_ERR_INVALID_ARGUMENT;
    ctx->c.deferred[attr] = true;
    return S2S_OK;
}

S2S_API void s2s_context_set_time(s2s_context *ctx, int64_t unix_seconds) {
    if (ctx == nullptr) return;
    ctx->c.time_set = true;
    ctx->c.now = unix_seconds;
}

S2S_API void s2s_context_set_peer(s2s_context *ctx, const s2s_peer *peer) {
    if (ctx != nullptr) ctx->c.peer = peer;
}

S2S_API void s2s_context_free(s2s_context *ctx) { std::unique_ptr<s2s_context> owned(ctx); }

}  // extern "C"
