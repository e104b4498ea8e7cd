// fuzz_caveat.cpp: the first-party caveat language (modules/macaroon/caveat_eval).
//
// The input is a request context and caveats (format: fuzz_context.hpp).
// Properties: evaluation is deterministic; every reason is a known one; the
// caveats evaluated in order with one shared state (as the verifier does)
// pass only if each also passes alone (conjunction never admits what a
// single caveat denies); the state's views point into their caveats.  The
// RFC 3339 helpers round-trip on whatever time values the caveats carry.
#include "fuzz_context.hpp"

using s2s::CaveatState;
using s2s::eval_caveat;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    // Context values and caveats are views into libFuzzer's exact-size buffer,
    // so an over-read of any of them is visible to AddressSanitizer.
    std::string_view text = fuzz::as_text(data, size);
    fuzz::Request r;
    fuzz::parse_request(text, r);
    const s2s::Context &ctx = r.ctx->c;

    CaveatState chain;
    s2s_reason chain_reason = S2S_REASON_OK;
    for (std::string_view caveat : r.caveats) {
        // An exact-size copy of this caveat alone: reading past its end (into the
        // next line) would go unnoticed in the shared buffer.
        std::vector<char> copy(caveat.begin(), caveat.end());
        std::string_view own(copy.data(), copy.size());
        CaveatState alone, again;
        s2s_reason a = eval_caveat(own, ctx, r.peer, r.now, alone).reason;
        s2s_reason b = eval_caveat(own, ctx, r.peer, r.now, again).reason;
        FUZZ_CHECK(a == b);
        FUZZ_CHECK(a >= S2S_REASON_OK && a < S2S_REASON_COUNT);
        FUZZ_CHECK(a != S2S_REASON_INTERNAL);
        FUZZ_CHECK(fuzz::inside(alone.identity, own) && fuzz::inside(alone.redis_user, own));
        FUZZ_CHECK(alone.identity == again.identity && alone.redis_user == again.redis_user);

        if (chain_reason == S2S_REASON_OK) {
            chain_reason = eval_caveat(caveat, ctx, r.peer, r.now, chain).reason;
            if (chain_reason == S2S_REASON_OK) FUZZ_CHECK(a == S2S_REASON_OK);
        }

        if (caveat.starts_with("time ") && caveat.size() > 7) {
            int64_t seconds = 0;
            bool frac = false;
            if (s2s::parse_rfc3339_utc(caveat.substr(7), seconds, frac)) {
                std::string formatted = s2s::format_rfc3339_utc(seconds);
                int64_t back = 0;
                bool frac2 = true;
                FUZZ_CHECK(s2s::parse_rfc3339_utc(formatted, back, frac2));
                FUZZ_CHECK(back == seconds && !frac2);
            }
        }
        if (caveat.starts_with("http.path prefix ")) {
            std::string_view prefix = caveat.substr(17);
            if (s2s::path_has_prefix(ctx.value[S2S_ATTR_HTTP_PATH], prefix)) {
                FUZZ_CHECK(ctx.value[S2S_ATTR_HTTP_PATH].starts_with(prefix));
            }
        }
    }
    // The chained state points into the caveats, which all live in `text`.
    FUZZ_CHECK(fuzz::inside(chain.identity, text) && fuzz::inside(chain.redis_user, text));
    return 0;
}
