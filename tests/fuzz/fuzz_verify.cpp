// fuzz_verify.cpp: s2s_verify end to end, with a fixed key ring and request.
//
// The input is the credential, any format.  Properties: every call makes a
// decision (S2S_OK) and makes the same one twice; s2s_authenticate grants
// exactly when s2s_verify allows, and the grant re-checks to an allow; an
// allow is only ever given to a credential whose signatures recompute, by an
// independent reference built on OpenSSL's own HMAC and libsodium's secretbox
// rather than the core's HMAC (the root chain from its key-ring key, each
// discharge's chain from the key sealed in its caveat's vid, bound to the root
// signature, every discharge used), and whose every first-party caveat,
// evaluated alone, passes.  Seeds (tests/fuzz/make_seeds.py) hold correctly
// signed tokens, minted with pymacaroons, so mutations start next to the
// allow path.
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include "fuzz_util.hpp"
#include "macaroon/caveat_eval.hpp"
#include "verifier.hpp"

namespace {

using s2s::Digest;
using s2s::Macaroon;

Digest ref_hmac(const uint8_t *key, size_t key_len, std::string_view msg) {
    Digest out{};
    unsigned int len = 0;
    FUZZ_CHECK(HMAC(EVP_sha256(), key, int(key_len), reinterpret_cast<const uint8_t *>(msg.data()),
                    msg.size(), out.data(), &len) != nullptr && len == out.size());
    return out;
}

std::string_view view(const Digest &d) { return {reinterpret_cast<const char *>(d.data()), d.size()}; }

Digest ref_pair(const Digest &key, std::string_view a, std::string_view b) {
    Digest ha = ref_hmac(key.data(), key.size(), a);
    Digest hb = ref_hmac(key.data(), key.size(), b);
    return ref_hmac(key.data(), key.size(), std::string(view(ha)) + std::string(view(hb)));
}

struct Sealed {
    std::string_view cid, vid;
    Digest under;  // the signature before the third-party caveat
};

// The signature of `m` from `key`; collects its third-party caveats.
Digest ref_chain(const Macaroon &m, const Digest &key, std::vector<Sealed> &sealed) {
    Digest sig = ref_hmac(key.data(), key.size(), m.identifier);
    for (const auto &c : m.caveats) {
        if (c.vid.empty()) {
            sig = ref_hmac(sig.data(), sig.size(), c.id);
        } else {
            sealed.push_back({c.id, c.vid, sig});
            sig = ref_pair(sig, c.vid, c.id);
        }
    }
    return sig;
}

bool ref_open(const Sealed &s, Digest &key) {
    if (s.vid.size() != crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + key.size()) return false;
    const auto *vid = reinterpret_cast<const uint8_t *>(s.vid.data());
    return crypto_secretbox_open_easy(key.data(), vid + crypto_secretbox_NONCEBYTES,
                                      s.vid.size() - crypto_secretbox_NONCEBYTES, vid,
                                      s.under.data()) == 0;
}

// Whether the stack's signatures recompute from the fixed key ring.
bool reference_signatures_hold(const std::vector<Macaroon> &stack) {
    std::string_view key_id, token_id;
    if (!s2s::parse_identifier(stack[0].identifier, key_id, token_id)) return false;
    if (key_id != fuzz::kActiveKeyId && key_id != fuzz::kOldKeyId) return false;
    unsigned char raw[S2S_KEY_BYTES];
    fuzz::key_bytes(key_id, raw);
    static const char generator[] = "macaroons-key-generator";
    Digest root_key = ref_hmac(reinterpret_cast<const uint8_t *>(generator), sizeof generator - 1,
                               {reinterpret_cast<const char *>(raw), sizeof raw});
    std::vector<Sealed> sealed;
    if (ref_chain(stack[0], root_key, sealed) != stack[0].signature) return false;

    std::vector<bool> done(stack.size(), false);
    done[0] = true;
    for (size_t next = 0; next < sealed.size(); next++) {
        const Sealed s = sealed[next];
        size_t hit = 0;
        for (size_t i = 1; i < stack.size(); i++) {
            if (stack[i].identifier == s.cid) {
                if (hit != 0) return false;  // two discharges for one caveat
                hit = i;
            }
        }
        if (hit == 0 || done[hit]) return false;
        Digest caveat_key;
        if (!ref_open(s, caveat_key)) return false;
        Digest sig = ref_chain(stack[hit], caveat_key, sealed);
        static const Digest zero{};
        if (ref_pair(zero, view(stack[0].signature), view(sig)) != stack[hit].signature) return false;
        done[hit] = true;
    }
    for (bool d : done) {
        if (!d) return false;
    }
    return true;
}

struct Fixture {
    s2s_verifier *verifier = fuzz::make_verifier();
    s2s_context *ctx = nullptr;
    s2s_decision *first = nullptr, *second = nullptr;

    Fixture() {
        FUZZ_CHECK(s2s_context_new(&ctx, nullptr) == S2S_OK);
        FUZZ_CHECK(s2s_decision_new(&first, nullptr) == S2S_OK);
        FUZZ_CHECK(s2s_decision_new(&second, nullptr) == S2S_OK);
        set(S2S_ATTR_SERVICE, "api");
        set(S2S_ATTR_HTTP_METHOD, "GET");
        set(S2S_ATTR_HTTP_PATH, "/v1/items/42");
        set(S2S_ATTR_HTTP_HOST, "api.example.org");
        set(S2S_ATTR_CLIENT_IP, "10.1.2.3");
        s2s_context_set_time(ctx, fuzz::kNow);
    }
    void set(s2s_attr a, std::string_view v) {
        FUZZ_CHECK(s2s_context_set(ctx, a, v.data(), v.size()) == S2S_OK);
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static Fixture f;
    std::string_view credential = fuzz::as_text(data, size);
    s2s_error err{};
    FUZZ_CHECK(s2s_verify(f.verifier, f.ctx, credential.data(), credential.size(), f.first, &err) == S2S_OK);
    FUZZ_CHECK(s2s_verify(f.verifier, f.ctx, credential.data(), credential.size(), f.second, &err) == S2S_OK);
    bool allowed = s2s_decision_allowed(f.first);
    FUZZ_CHECK(allowed == bool(s2s_decision_allowed(f.second)));
    FUZZ_CHECK(s2s_decision_reason(f.first) == s2s_decision_reason(f.second));
    FUZZ_CHECK(allowed == (s2s_decision_reason(f.first) == S2S_REASON_OK));
    FUZZ_CHECK(allowed == (s2s_decision_outcome(f.first) == S2S_ALLOW));

    // A session grant (the Redis proxy's path) is given exactly when verify
    // allows, and re-checking it against the same request allows again.
    s2s_grant *grant = nullptr;
    FUZZ_CHECK(s2s_authenticate(f.verifier, f.ctx, credential.data(), credential.size(), f.second,
                                &grant, &err) == S2S_OK);
    FUZZ_CHECK((grant != nullptr) == allowed);
    if (grant != nullptr) {
        FUZZ_CHECK(s2s_grant_check(f.verifier, grant, f.ctx, f.second, &err) == S2S_OK);
        FUZZ_CHECK(s2s_decision_allowed(f.second));
        s2s_grant_free(grant);
    }
    if (!allowed) return 0;

    std::vector<Macaroon> stack;
    std::string scratch;
    s2s::ParseError pe;
    FUZZ_CHECK(s2s::decode_stack(credential, f.verifier->cfg.limits, stack, scratch, pe));
    FUZZ_CHECK(reference_signatures_hold(stack));
    std::string_view key_id, token_id;
    FUZZ_CHECK(s2s::parse_identifier(stack[0].identifier, key_id, token_id));
    FUZZ_CHECK(key_id == s2s_decision_key_id(f.first) && token_id == s2s_decision_token_id(f.first));

    s2s::PeerFacts no_peer;
    for (const auto &m : stack) {
        for (const auto &c : m.caveats) {
            if (!c.vid.empty()) continue;
            s2s::CaveatState alone;
            FUZZ_CHECK(s2s::eval_caveat(c.id, f.ctx->c, no_peer, fuzz::kNow, alone).reason == S2S_REASON_OK);
        }
    }
    return 0;
}
