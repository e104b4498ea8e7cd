// fuzz_keyring.cpp: the key ring file parser (parse_keyring).
//
// Properties: an accepted ring has at most kMaxKeys entries with valid,
// unique ids and the libmacaroons derived key of each raw key; writing it
// back in the file format and parsing again gives the same ring; the newest
// active key, if any, is active.
#include "base64.hpp"
#include "fuzz_util.hpp"
#include "keyring.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    std::string_view text = fuzz::as_text(data, size);
    std::vector<s2s::KeyEntry> keys;
    s2s::Error e = s2s::parse_keyring("fuzz.keys", text, keys);
    if (e) {
        // A malformed ring is S2S_ERR_KEYRING (as s2sauth.h documents),
        // whichever check refused it; too many keys is a limit.
        FUZZ_CHECK(e.status == S2S_ERR_KEYRING || e.status == S2S_ERR_LIMIT);
        FUZZ_CHECK(!e.message.empty());
        FUZZ_CHECK(keys.empty());
        return 0;
    }
    FUZZ_CHECK(keys.size() <= s2s::kMaxKeys);
    std::string written;
    for (size_t i = 0; i < keys.size(); i++) {
        const s2s::KeyEntry &k = keys[i];
        FUZZ_CHECK(s2s::valid_id(k.id));
        for (size_t j = 0; j < i; j++) FUZZ_CHECK(keys[j].id != k.id);
        s2s::Digest derived;
        FUZZ_CHECK(s2s::derive_root_key({reinterpret_cast<const char *>(k.raw.data()), k.raw.size()},
                                        derived));
        FUZZ_CHECK(derived == k.derived);
        written += k.id + " " +
                   s2s::base64url_encode({reinterpret_cast<const char *>(k.raw.data()), k.raw.size()}) +
                   (k.state == S2S_KEY_ACTIVE ? " active\n" : " verify-only\n");
    }
    if (const s2s::KeyEntry *newest = s2s::newest_active(keys)) {
        FUZZ_CHECK(newest->state == S2S_KEY_ACTIVE);
    }
    std::vector<s2s::KeyEntry> again;
    FUZZ_CHECK(!s2s::parse_keyring("fuzz.keys", written, again));
    FUZZ_CHECK(again.size() == keys.size());
    for (size_t i = 0; i < keys.size(); i++) {
        FUZZ_CHECK(again[i].id == keys[i].id && again[i].raw == keys[i].raw &&
                   again[i].state == keys[i].state);
    }
    return 0;
}
