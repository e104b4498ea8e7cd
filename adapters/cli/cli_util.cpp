// cli_util.cpp: token input, durations, times and output helpers for the CLI.
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "cli.hpp"

namespace cli {

int fail(const char *what, const s2s_error &err) {
    std::fprintf(stderr, "s2sauth: %s: %s", what, err.message);
    if (err.detail[0] != '\0') std::fprintf(stderr, " (%s)", err.detail);
    if (err.hint[0] != '\0') std::fprintf(stderr, "\nhint: %s", err.hint);
    std::fputc('\n', stderr);
    return kExitUsage;
}

int usage_error(const std::string &message) {
    std::fprintf(stderr, "s2sauth: %s\nTry 's2sauth --help'.\n", message.c_str());
    return kExitUsage;
}

bool read_file_bytes(const std::string &path, size_t max, std::string &out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return !in.bad() && out.size() <= max;
}

bool read_token_arg(const std::string &arg, std::string &out) {
    if (arg == "-") {
        std::ostringstream ss;
        ss << std::cin.rdbuf();
        out = ss.str();
    } else {
        out = arg;
    }
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' ' ||
                            out.back() == '\t')) {
        out.pop_back();
    }
    return !out.empty();
}

bool parse_duration(const std::string &text, long long &seconds) {
    if (text.empty() || text.size() > 12) return false;
    size_t i = 0;
    long long v = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') v = v * 10 + (text[i++] - '0');
    if (i == 0) return false;
    long long unit = 1;
    if (i < text.size()) {
        if (i + 1 != text.size()) return false;
        switch (text[i]) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        default: return false;
        }
    }
    seconds = v * unit;
    return seconds > 0;
}

std::string rfc3339(long long seconds) {
    time_t t = time_t(seconds);
    struct tm tm;
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

bool parse_rfc3339(const std::string &text, long long &seconds) {
    struct tm tm {};
    const char *end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (end == nullptr || *end != '\0') return false;
    seconds = (long long)timegm(&tm);
    // strptime takes one-digit fields, leading blanks and days past the end of
    // the month (timegm then rolls 02-30 into March): accept only the one
    // canonical spelling of a real instant.
    return rfc3339(seconds) == text;
}

s2s_format guess_format(const std::string &token) {
    if (!token.empty() && (token[0] == '{' || token[0] == '[')) return S2S_FORMAT_V2_JSON;
    // V2 binary starts with 0x02 ("Ag" in base64); V1 with hex digits ("MD").
    if (!token.empty() && token[0] == 'A') return S2S_FORMAT_V2;
    return S2S_FORMAT_V1;
}

bool parse_format(const std::string &name, s2s_format &out) {
    if (name == "v1") out = S2S_FORMAT_V1;
    else if (name == "v2") out = S2S_FORMAT_V2;
    else if (name == "v2j" || name == "json") out = S2S_FORMAT_V2_JSON;
    else return false;
    return true;
}

bool print_macaroon(const s2s_macaroon *m, s2s_format format) {
    char *text = nullptr;
    s2s_error err{};
    if (s2s_macaroon_serialize(m, format, &text, nullptr, &err) != S2S_OK) {
        fail("serialize", err);
        return false;
    }
    std::printf("%s\n", text);
    s2s_free(text);
    return true;
}

// The length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no
// overlongs, no surrogates, nothing above U+10FFFF), or 0.
static size_t utf8_length(const std::string &s, size_t i) {
    auto at = [&](size_t k) { return k < s.size() ? (unsigned char)s[k] : 0u; };
    unsigned c = at(i);
    size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    if (n == 0 || c > 0xf4) return 0;
    for (size_t k = 1; k < n; k++) {
        if ((at(i + k) & 0xc0) != 0x80) return 0;
    }
    unsigned c1 = at(i + 1);
    if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 > 0x9f) || (c == 0xf0 && c1 < 0x90) ||
        (c == 0xf4 && c1 > 0x8f)) {
        return 0;
    }
    return n;
}

std::string json_string(const std::string &s) {
    std::string out = "\"";
    for (size_t i = 0; i < s.size(); i++) {
        unsigned char c = s[i];
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c >= 0x80) {
                // Well-formed UTF-8 passes through, so an identity "josé" reads
                // back as "josé"; any other byte becomes U+FFFD, which JSON can
                // carry and no caller mistakes for a real character.
                size_t n = utf8_length(s, i);
                if (n > 0) {
                    out.append(s, i, n);
                    i += n - 1;
                } else {
                    out += "\\ufffd";
                }
            } else if (c < 0x20 || c == 0x7f) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out += buf;
            } else {
                out += char(c);
            }
        }
    }
    return out + "\"";
}

std::string printable(const unsigned char *p, size_t n) {
    std::string out;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out += char(c);
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        }
    }
    return out;
}

}  // namespace cli
