// fuzz_context.hpp: a request context written as text, for the caveat and
// round-trip targets, so that seeds are readable and the fuzzer mutates
// caveats and facts alike.
//
// One item a line ('\n'); a line starting with '!' is a fact, any other line
// is a caveat (arbitrary bytes, NUL included):
//     !<attr> <value>     s2s_context_set (http.path, redis.key, client.ip ...)
//     !present <attr>     s2s_context_mark_present
//     !time <seconds>     the verification time (default fuzz::kNow)
//     !cert <x5t#S256>    a client certificate with this digest (trusted)
//     !spiffe <id>        its SPIFFE ID
//     !untrusted          the certificate did not verify
//     !dis <caveat>       a caveat of a discharge (fuzz_roundtrip only)
// A fact that does not parse is skipped, as a host would refuse it before
// calling the core.
#pragma once

#include <charconv>
#include <string>
#include <string_view>
#include <vector>

#include "context.hpp"
#include "fuzz_util.hpp"
#include "macaroon/caveat_eval.hpp"

namespace fuzz {

struct Request {
    s2s_context *ctx = nullptr;
    s2s::PeerFacts peer;
    int64_t now = kNow;
    std::vector<std::string_view> caveats;
    std::vector<std::string_view> discharge_caveats;

    Request() { FUZZ_CHECK(s2s_context_new(&ctx, nullptr) == S2S_OK); }
    ~Request() { s2s_context_free(ctx); }
    Request(const Request &) = delete;
    Request &operator=(const Request &) = delete;
};

inline int attr_named(std::string_view name) {
    for (int a = 0; a < S2S_ATTR_COUNT; a++) {
        if (name == s2s_attr_name(s2s_attr(a))) return a;
    }
    return -1;
}

// Fills `r` from `text`; the views in `r` point into `text`.
inline void parse_request(std::string_view text, Request &r) {
    s2s_context_set_time(r.ctx, r.now);
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        if (line.empty() || line.front() != '!') {
            r.caveats.push_back(line);
            continue;
        }
        line.remove_prefix(1);
        size_t sp = line.find(' ');
        std::string_view name = line.substr(0, sp);
        std::string_view value = sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1);
        if (name == "time") {
            int64_t t = 0;
            auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), t);
            if (ec == std::errc{} && end == value.data() + value.size()) {
                r.now = t;
                s2s_context_set_time(r.ctx, t);
            }
        } else if (name == "present") {
            int a = attr_named(value);
            if (a >= 0) s2s_context_mark_present(r.ctx, s2s_attr(a));
        } else if (name == "cert") {
            r.peer.present = r.peer.trusted = true;
            r.peer.cert_sha256 = value;
        } else if (name == "spiffe") {
            r.peer.spiffe_id = value;
        } else if (name == "untrusted") {
            r.peer.trusted = false;
        } else if (name == "dis") {
            r.discharge_caveats.push_back(value);
        } else if (int a = attr_named(name); a >= 0) {
            (void)s2s_context_set(r.ctx, s2s_attr(a), value.empty() ? "" : value.data(), value.size());
        }
    }
}

// Whether `inner` lies within `outer` (a view the evaluator keeps must point
// into the caveat it came from).
inline bool inside(std::string_view inner, std::string_view outer) {
    return inner.empty() ||
           (inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size());
}

}  // namespace fuzz
