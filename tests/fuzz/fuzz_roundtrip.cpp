// fuzz_roundtrip.cpp: issue 8's round-trip properties, in two modes chosen by
// the first byte of the input.
//
// 'A' + request (fuzz_context.hpp format): attenuation.  A token is minted
// with the fixed key ring's active key, the input's caveats are added to it
// (and, for "!dis" lines, to a discharge of a third-party caveat), and it is
// verified against the input's context.  An allow must never admit what a
// caveat denies when evaluated alone; more exactly, the decision must be the
// one the caveats give when evaluated in order with one shared state, as
// documented.  The same token re-encoded as V1 and V2 JSON gets the same
// decision.
//
// Anything else: codecs.  Whatever decode_any accepts re-encodes as V2, V1
// and V2 JSON (where the format can hold it) to text that decodes to the same
// macaroon; the same through the C ABI (s2s_macaroon_parse / _serialize).
#include "base64.hpp"
#include "fuzz_context.hpp"
#include "verifier.hpp"

namespace {

using s2s::Macaroon;

s2s::Limits loose_limits() {
    s2s::Limits l;
    l.max_token_bytes = size_t(1) << 30;
    return l;
}

void check_decodes_to(const std::string &text, const Macaroon &expected) {
    Macaroon again;
    std::string scratch;
    s2s::ParseError pe;
    FUZZ_CHECK(s2s::decode_any(text, loose_limits(), again, scratch, pe));
    FUZZ_CHECK(fuzz::equal(again, expected));
}

void codecs(std::string_view in) {
    s2s::Limits limits;
    Macaroon m;
    std::string scratch, bytes, text;
    s2s::ParseError pe;
    if (!s2s::decode_any(in, limits, m, scratch, pe)) return;

    s2s::encode_v2(m, bytes);
    check_decodes_to(s2s::base64url_encode(bytes), m);
    if (s2s::encode_v1(m, bytes)) check_decodes_to(s2s::base64url_encode(bytes), m);
    if (s2s::encode_v2_json(m, text)) check_decodes_to(text, m);

    // The C ABI over the same codecs: every format it serializes parses back
    // to the V2 bytes of the original.
    s2s_macaroon *cm = nullptr;
    FUZZ_CHECK(s2s_macaroon_parse(in.data(), in.size(), nullptr, &cm, nullptr) == S2S_OK);
    char *v2 = nullptr;
    size_t v2_len = 0;
    FUZZ_CHECK(s2s_macaroon_serialize(cm, S2S_FORMAT_V2, &v2, &v2_len, nullptr) == S2S_OK);
    for (s2s_format format : {S2S_FORMAT_V1, S2S_FORMAT_V2, S2S_FORMAT_V2_JSON}) {
        char *out = nullptr;
        size_t out_len = 0;
        if (s2s_macaroon_serialize(cm, format, &out, &out_len, nullptr) != S2S_OK) continue;
        s2s_limits big{};
        big.max_token_bytes = size_t(1) << 30;
        s2s_macaroon *back = nullptr;
        FUZZ_CHECK(s2s_macaroon_parse(out, out_len, &big, &back, nullptr) == S2S_OK);
        char *v2_back = nullptr;
        size_t v2_back_len = 0;
        FUZZ_CHECK(s2s_macaroon_serialize(back, S2S_FORMAT_V2, &v2_back, &v2_back_len, nullptr) == S2S_OK);
        FUZZ_CHECK(std::string_view(v2, v2_len) == std::string_view(v2_back, v2_back_len));
        s2s_free(v2_back);
        s2s_macaroon_free(back);
        s2s_free(out);
    }
    s2s_free(v2);
    s2s_macaroon_free(cm);
}

constexpr std::string_view kCaveatKey = "third-party-caveat-key-for-fuzz";
constexpr std::string_view kDischargeId = "discharge-1";
constexpr uint8_t kNonce[s2s::kSecretboxNonceBytes] = {7};

s2s_reason verify(s2s_verifier *v, const s2s_context *ctx, const std::string &credential) {
    static s2s_decision *d = [] {
        s2s_decision *made = nullptr;
        FUZZ_CHECK(s2s_decision_new(&made, nullptr) == S2S_OK);
        return made;
    }();
    FUZZ_CHECK(s2s_verify(v, ctx, credential.data(), credential.size(), d, nullptr) == S2S_OK);
    s2s_reason r = s2s_decision_reason(d);
    FUZZ_CHECK(bool(s2s_decision_allowed(d)) == (r == S2S_REASON_OK));
    return r;
}

void attenuation(std::string_view request_text) {
    static s2s_verifier *verifier = fuzz::make_verifier();
    const s2s::Limits &limits = verifier->cfg.limits;
    fuzz::Request r;
    fuzz::parse_request(request_text, r);
    r.peer = {};  // a verifier sees the peer only through an s2s_peer: none here
    const bool with_discharge = !r.discharge_caveats.empty();

    unsigned char raw[S2S_KEY_BYTES];
    fuzz::key_bytes(fuzz::kActiveKeyId, raw);
    s2s::Digest root_key, caveat_key;
    FUZZ_CHECK(s2s::derive_root_key({reinterpret_cast<char *>(raw), sizeof raw}, root_key));
    FUZZ_CHECK(s2s::derive_root_key(kCaveatKey, caveat_key));
    Macaroon root, discharge;
    FUZZ_CHECK(s2s::macaroon_init(root, root_key, s2s::make_identifier(fuzz::kActiveKeyId, "roundtrip"),
                                  "https://fuzz.example"));
    for (std::string_view c : r.caveats) FUZZ_CHECK(s2s::add_first_party(root, c));
    if (with_discharge) {
        FUZZ_CHECK(s2s::add_third_party_with_nonce(root, "https://third.example", kCaveatKey,
                                                   kDischargeId, kNonce));
        FUZZ_CHECK(s2s::macaroon_init(discharge, caveat_key, kDischargeId, "https://third.example"));
        for (std::string_view c : r.discharge_caveats) FUZZ_CHECK(s2s::add_first_party(discharge, c));
        FUZZ_CHECK(s2s::bind_discharge(root, discharge));
    }
    std::vector<const Macaroon *> stack{&root};
    if (with_discharge) stack.push_back(&discharge);
    std::string credential;
    s2s::encode_stack(stack, credential);
    s2s_reason got = verify(verifier, r.ctx, credential);

    // What the caveats say, in the verifier's order: root, then discharge.
    std::vector<std::string_view> all(r.caveats);
    all.insert(all.end(), r.discharge_caveats.begin(), r.discharge_caveats.end());
    bool fits = credential.size() <= limits.max_token_bytes &&
                root.caveats.size() <= limits.max_caveats &&
                discharge.caveats.size() <= limits.max_caveats;
    s2s::CaveatState state;
    s2s_reason expected = S2S_REASON_OK;
    for (std::string_view c : all) {
        fits = fits && c.size() <= limits.max_caveat_bytes;
        s2s::CaveatState alone;
        s2s_reason own = s2s::eval_caveat(c, r.ctx->c, r.peer, r.now, alone).reason;
        if (got == S2S_REASON_OK) FUZZ_CHECK(own == S2S_REASON_OK);
        if (expected == S2S_REASON_OK) expected = s2s::eval_caveat(c, r.ctx->c, r.peer, r.now, state).reason;
    }
    if (!fits) {
        FUZZ_CHECK(got == S2S_REASON_TOO_LARGE);
        return;
    }
    FUZZ_CHECK(got == expected);

    // The same token in the other formats gets the same decision.
    if (!with_discharge) {
        std::string bytes, other;
        if (s2s::encode_v1(root, bytes)) {
            other = s2s::base64url_encode(bytes);
            if (other.size() <= limits.max_token_bytes) FUZZ_CHECK(verify(verifier, r.ctx, other) == got);
        }
        if (s2s::encode_v2_json(root, other) && other.size() <= limits.max_token_bytes) {
            FUZZ_CHECK(verify(verifier, r.ctx, other) == got);
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    std::string_view in = fuzz::as_text(data, size);
    if (!in.empty() && in.front() == 'A') {
        attenuation(in.substr(1));
    } else {
        codecs(in);
    }
    return 0;
}
