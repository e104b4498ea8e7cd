// fuzz_util.hpp: what the fuzz targets share.
//
// FUZZ_CHECK states a property the code under test must keep; it aborts (so
// libFuzzer records the input as a crash) even in release builds, where
// assert() is compiled out.  equal() compares two macaroons field by field,
// which every round-trip property needs.  The fixed key ring and request
// context are the ones the verify and round-trip targets (and their seeds,
// tests/fuzz/make_seeds.py) agree on.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "macaroon/macaroon.hpp"
#include "s2sauth.h"

#define FUZZ_CHECK(cond)                                                                 \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            std::fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__, #cond); \
            std::abort();                                                                \
        }                                                                                \
    } while (0)

namespace fuzz {

inline std::string_view as_text(const uint8_t *data, size_t size) {
    return size == 0 ? std::string_view{} : std::string_view(reinterpret_cast<const char *>(data), size);
}

inline bool equal(const s2s::Caveat &a, const s2s::Caveat &b) {
    return a.id == b.id && a.vid == b.vid && a.location == b.location;
}

inline bool equal(const s2s::Macaroon &a, const s2s::Macaroon &b) {
    if (a.location != b.location || a.identifier != b.identifier || a.signature != b.signature ||
        a.caveats.size() != b.caveats.size()) {
        return false;
    }
    for (size_t i = 0; i < a.caveats.size(); i++) {
        if (!equal(a.caveats[i], b.caveats[i])) return false;
    }
    return true;
}

// A macaroon full of leftovers, to decode into: a parser that fills a reused
// Macaroon in place must leave nothing of the previous value behind.
inline void dirty(s2s::Macaroon &m) {
    m.location = "stale-location";
    m.identifier = "stale-identifier";
    m.caveats.assign(3, s2s::Caveat{"stale-cid", "stale-vid", "stale-cl"});
    m.signature.fill(0xa5);
}

// The parser limits must hold for whatever a decoder accepts.
inline bool within(const s2s::Macaroon &m, const s2s::Limits &limits) {
    if (m.caveats.size() > limits.max_caveats) return false;
    for (const auto &c : m.caveats) {
        if (c.id.size() > limits.max_caveat_bytes) return false;
    }
    return true;
}

// ---- the fixed verifier of fuzz_verify and fuzz_roundtrip --------------------

// Key "k1" (active) is bytes 0..31; "k0" (verify-only) is 32 bytes of 0x42.
inline constexpr const char *kActiveKeyId = "k1";
inline constexpr const char *kOldKeyId = "k0";
inline void key_bytes(std::string_view id, unsigned char out[S2S_KEY_BYTES]) {
    for (int i = 0; i < S2S_KEY_BYTES; i++) out[i] = id == kActiveKeyId ? uint8_t(i) : 0x42;
}

// The request every verification in these targets is judged against, unless
// the input supplies its own context.  The time is 2026-09-21T14:13:20Z.
inline constexpr int64_t kNow = 1790000000;

inline s2s_verifier *make_verifier() {
    s2s_keyring *kr = nullptr;
    s2s_config *cfg = nullptr;
    s2s_verifier *v = nullptr;
    unsigned char key[S2S_KEY_BYTES];
    bool ok = s2s_keyring_new(&kr, nullptr) == S2S_OK;
    key_bytes(kOldKeyId, key);
    ok = ok && s2s_keyring_add(kr, kOldKeyId, key, S2S_KEY_VERIFY_ONLY, nullptr) == S2S_OK;
    key_bytes(kActiveKeyId, key);
    ok = ok && s2s_keyring_add(kr, kActiveKeyId, key, S2S_KEY_ACTIVE, nullptr) == S2S_OK;
    ok = ok && s2s_config_new(&cfg, nullptr) == S2S_OK;
    ok = ok && s2s_config_set_keyring(cfg, kr, nullptr) == S2S_OK;
    ok = ok && s2s_verifier_new(cfg, &v, nullptr) == S2S_OK;
    s2s_config_free(cfg);
    s2s_keyring_free(kr);
    FUZZ_CHECK(ok && v != nullptr);
    return v;
}

}  // namespace fuzz
