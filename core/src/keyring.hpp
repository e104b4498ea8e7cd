// keyring.hpp: root keys by key id.
//
// Each entry keeps the raw key (to save the ring again) and the libmacaroons
// derived key (what minting and verification use), so no verification ever
// derives a key.  Entries are wiped when destroyed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "crypto.hpp"
#include "result.hpp"
#include "s2sauth.h"

namespace s2s {

struct KeyEntry {
    std::string id;
    Digest raw{};
    Digest derived{};
    HmacKeyState derived_state;  // `derived`, prepared for the token's first HMAC
    s2s_key_state state = S2S_KEY_ACTIVE;

    KeyEntry() = default;
    KeyEntry(const KeyEntry &) = default;
    KeyEntry &operator=(const KeyEntry &) = default;
    ~KeyEntry() {
        wipe(raw.data(), raw.size());
        wipe(derived.data(), derived.size());
    }
};

inline constexpr size_t kMaxKeyringBytes = 1 << 20;
inline constexpr size_t kMaxKeys = 4096;

// Parses key ring text; `path` names the source in errors.
Error parse_keyring(const std::string &path, std::string_view text, std::vector<KeyEntry> &out);
Error load_keyring(const std::string &path, std::vector<KeyEntry> &out);
Error add_key(std::vector<KeyEntry> &keys, std::string_view id, const uint8_t *raw,
              s2s_key_state state);
// The newest active key: the last active entry.
const KeyEntry *newest_active(const std::vector<KeyEntry> &keys);

}  // namespace s2s

struct s2s_keyring {
    std::vector<s2s::KeyEntry> keys;
};
