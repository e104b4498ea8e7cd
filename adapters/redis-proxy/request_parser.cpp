// request_parser.cpp: strict RESP request framing (multibulk and inline).
#include "request_parser.hpp"

#include <cstdio>
#include <cstring>

namespace s2s_redis {
namespace {

constexpr size_t kInlineMax = 64 * 1024;  // Redis's PROTO_INLINE_MAX_SIZE
constexpr size_t kUnauthArgs = 10;
constexpr size_t kUnauthBulk = 16384;

// Finds "\r\n" starting at p; returns the offset of '\r', or npos.  A '\r' not
// followed by '\n' is reported through `bad`.
size_t find_crlf(const char *p, size_t n, size_t from, bool &bad) {
    const void *cr = std::memchr(p + from, '\r', n - from);
    if (cr == nullptr) return std::string_view::npos;
    size_t at = static_cast<const char *>(cr) - p;
    if (at + 1 >= n) return std::string_view::npos;
    if (p[at + 1] != '\n') bad = true;
    return at;
}

ParseStatus fail(ParsedRequest &out, const char *msg) {
    out.error = msg;
    return ParseStatus::kError;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

ParseStatus parse_inline(const char *p, size_t n, const RequestLimits &limits, ParsedRequest &out) {
    const void *nl = std::memchr(p, '\n', n);
    if (nl == nullptr) {
        if (n > kInlineMax) return fail(out, "Protocol error: too big inline request");
        return ParseStatus::kIncomplete;
    }
    size_t line_end = static_cast<const char *>(nl) - p;
    if (line_end > kInlineMax) return fail(out, "Protocol error: too big inline request");
    size_t len = line_end;
    if (len > 0 && p[len - 1] == '\r') --len;
    out.frame_len = line_end + 1;
    out.is_inline = true;
    out.inline_args.clear();
    if (!split_inline_args(std::string_view(p, len), out.inline_args))
        return fail(out, "Protocol error: unbalanced quotes in request");
    if (out.inline_args.empty()) return ParseStatus::kEmpty;
    if (!limits.authenticated) {
        if (out.inline_args.size() > kUnauthArgs)
            return fail(out, "Protocol error: unauthenticated multibulk length");
        for (const std::string &a : out.inline_args)
            if (a.size() > kUnauthBulk) return fail(out, "Protocol error: unauthenticated bulk length");
    }
    if (out.inline_args.size() > limits.max_args)
        return fail(out, "Protocol error: invalid multibulk length");
    for (const std::string &a : out.inline_args) out.argv.emplace_back(a);
    return ParseStatus::kCommand;
}

}  // namespace

bool parse_ll(std::string_view s, long long &out) {
    if (s.empty() || s.size() > 20) return false;
    size_t i = 0;
    bool negative = false;
    if (s[0] == '-') {
        negative = true;
        i = 1;
        if (s.size() == 1) return false;
    }
    if (s[i] == '0') {
        if (s.size() == i + 1 && !negative) {
            out = 0;
            return true;
        }
        return false;  // no leading zeros, no "-0"
    }
    unsigned long long v = 0;
    for (; i < s.size(); ++i) {
        char c = s[i];
        if (c < '0' || c > '9') return false;
        unsigned digit = static_cast<unsigned>(c - '0');
        if (v > (~0ull - digit) / 10) return false;
        v = v * 10 + digit;
    }
    if (negative) {
        if (v > 9223372036854775808ull) return false;
        out = v == 9223372036854775808ull ? (-9223372036854775807LL - 1) : -static_cast<long long>(v);
    } else {
        if (v > 9223372036854775807ull) return false;
        out = static_cast<long long>(v);
    }
    return true;
}

bool split_inline_args(std::string_view line, std::vector<std::string> &args) {
    size_t i = 0, n = line.size();
    while (true) {
        while (i < n && is_space(line[i])) ++i;
        if (i >= n) return true;
        std::string current;
        bool in_double = false, in_single = false, done = false;
        while (!done) {
            if (in_double) {
                if (i >= n) return false;  // unterminated quotes
                char c = line[i];
                if (c == '\\' && i + 3 < n && line[i + 1] == 'x' && hex_value(line[i + 2]) >= 0 &&
                    hex_value(line[i + 3]) >= 0) {
                    current.push_back(static_cast<char>(hex_value(line[i + 2]) * 16 + hex_value(line[i + 3])));
                    i += 3;
                } else if (c == '\\' && i + 1 < n) {
                    ++i;
                    switch (line[i]) {
                        case 'n': current.push_back('\n'); break;
                        case 'r': current.push_back('\r'); break;
                        case 't': current.push_back('\t'); break;
                        case 'b': current.push_back('\b'); break;
                        case 'a': current.push_back('\a'); break;
                        default: current.push_back(line[i]); break;
                    }
                } else if (c == '"') {
                    // The closing quote must be followed by a space or the end.
                    if (i + 1 < n && !is_space(line[i + 1])) return false;
                    done = true;
                } else {
                    current.push_back(c);
                }
            } else if (in_single) {
                if (i >= n) return false;
                char c = line[i];
                if (c == '\\' && i + 1 < n && line[i + 1] == '\'') {
                    ++i;
                    current.push_back('\'');
                } else if (c == '\'') {
                    if (i + 1 < n && !is_space(line[i + 1])) return false;
                    done = true;
                } else {
                    current.push_back(c);
                }
            } else {
                if (i >= n) {
                    done = true;
                    break;
                }
                char c = line[i];
                if (is_space(c)) {
                    done = true;
                } else if (c == '"') {
                    in_double = true;
                } else if (c == '\'') {
                    in_single = true;
                } else {
                    current.push_back(c);
                }
            }
            if (i < n) ++i;
        }
        args.push_back(std::move(current));
    }
}

ParseStatus parse_request(const char *p, size_t n, const RequestLimits &limits, ParsedRequest &out) {
    out.argv.clear();
    out.error = nullptr;
    out.frame_len = 0;
    out.is_inline = false;
    if (n == 0) return ParseStatus::kIncomplete;
    if (p[0] != '*') return parse_inline(p, n, limits, out);

    bool bad = false;
    size_t cr = find_crlf(p, n, 1, bad);
    if (cr == std::string_view::npos) {
        if (n > kInlineMax) return fail(out, "Protocol error: too big mbulk count string");
        return ParseStatus::kIncomplete;
    }
    if (bad || cr > kInlineMax) return fail(out, "Protocol error: invalid multibulk length");
    long long count = 0;
    if (!parse_ll(std::string_view(p + 1, cr - 1), count))
        return fail(out, "Protocol error: invalid multibulk length");
    if (!limits.authenticated && count > static_cast<long long>(kUnauthArgs))
        return fail(out, "Protocol error: unauthenticated multibulk length");
    if (count > static_cast<long long>(limits.max_args))
        return fail(out, "Protocol error: invalid multibulk length");
    size_t pos = cr + 2;
    if (count <= 0) {
        out.frame_len = pos;
        return ParseStatus::kEmpty;
    }
    for (long long i = 0; i < count; ++i) {
        if (pos >= n) return ParseStatus::kIncomplete;
        if (p[pos] != '$') {
            static thread_local char msg[64];
            unsigned char c = static_cast<unsigned char>(p[pos]);
            if (c >= 0x20 && c < 0x7f)
                std::snprintf(msg, sizeof msg, "Protocol error: expected '$', got '%c'", c);
            else
                std::snprintf(msg, sizeof msg, "Protocol error: expected '$', got '\\x%02x'", c);
            return fail(out, msg);
        }
        cr = find_crlf(p, n, pos + 1, bad);
        if (cr == std::string_view::npos) {
            if (n - pos > kInlineMax) return fail(out, "Protocol error: too big bulk count string");
            return ParseStatus::kIncomplete;
        }
        if (bad || cr - pos > kInlineMax) return fail(out, "Protocol error: invalid bulk length");
        long long len = 0;
        if (!parse_ll(std::string_view(p + pos + 1, cr - pos - 1), len) || len < 0)
            return fail(out, "Protocol error: invalid bulk length");
        if (!limits.authenticated && len > static_cast<long long>(kUnauthBulk))
            return fail(out, "Protocol error: unauthenticated bulk length");
        if (static_cast<unsigned long long>(len) > limits.max_bulk_bytes)
            return fail(out, "Protocol error: invalid bulk length");
        size_t body = cr + 2;
        size_t ulen = static_cast<size_t>(len);
        if (n - body < ulen + 2) return ParseStatus::kIncomplete;
        if (p[body + ulen] != '\r' || p[body + ulen + 1] != '\n')
            return fail(out, "Protocol error: expected CRLF after bulk string");
        out.argv.emplace_back(p + body, ulen);
        pos = body + ulen + 2;
    }
    out.frame_len = pos;
    return ParseStatus::kCommand;
}

void encode_multibulk(const std::vector<std::string_view> &argv, std::string &out) {
    out += '*';
    out += std::to_string(argv.size());
    out += "\r\n";
    for (std::string_view a : argv) {
        out += '$';
        out += std::to_string(a.size());
        out += "\r\n";
        out.append(a.data(), a.size());
        out += "\r\n";
    }
}

}  // namespace s2s_redis
