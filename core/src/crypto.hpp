// crypto.hpp: the primitives macaroons are made of.
//
// HMAC-SHA256 is on the hot path: a 5-caveat token is 6 chained HMACs, each
// keyed by the previous signature.  hmac_sha256 assembles HMAC from two SHA-256
// digests (RFC 2104) over a per-thread, pre-fetched digest context, which is
// several times faster than OpenSSL's one-shot HMAC() for 32-byte keys.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace s2s {

inline constexpr size_t kHashBytes = 32;
using Digest = std::array<uint8_t, kHashBytes>;

// out = HMAC-SHA256(key, msg).  key is at most 64 bytes (always 32 here, or
// the 23-byte generator string).  Returns false only if the digest failed.
bool hmac_sha256(const uint8_t *key, size_t key_len, std::string_view msg, Digest &out);

// A key whose two padded HMAC blocks are already compressed.  Root keys sign
// the first HMAC of every token, so a key ring keeps them in this form and
// that HMAC costs two compressions instead of four.
struct HmacKeyState {
    alignas(16) uint8_t inner[128];  // SHA-256 state after K^ipad
    alignas(16) uint8_t outer[128];  // SHA-256 state after K^opad
    HmacKeyState() = default;
    HmacKeyState(const HmacKeyState &) = default;
    HmacKeyState &operator=(const HmacKeyState &) = default;
    ~HmacKeyState();
};
bool hmac_prepare(const Digest &key, HmacKeyState &out);
bool hmac_sha256_prepared(const HmacKeyState &key, std::string_view msg, Digest &out);

// libmacaroons' derived root key: HMAC-SHA256("macaroons-key-generator", root_key).
bool derive_root_key(std::string_view root_key, Digest &out);

// libmacaroons' hash2: HMAC(key, HMAC(key, a) || HMAC(key, b)), used to chain
// third-party caveats (a = vid, b = cid) and to bind discharges (key = zeros).
bool hmac_sha256_pair(const Digest &key, std::string_view a, std::string_view b, Digest &out);

// The signature of `discharge_sig` bound to `root_sig`, as libmacaroons'
// macaroon_prepare_for_request and pymacaroons' bind_signature compute it.
bool bind_signature(const Digest &root_sig, const Digest &discharge_sig, Digest &out);

// NaCl secretbox (XSalsa20-Poly1305, libsodium): vid = nonce(24) || box(plain).
// seal writes 24 + 16 + plain.size() bytes; open returns false on a bad tag.
inline constexpr size_t kSecretboxNonceBytes = 24;
inline constexpr size_t kSecretboxMacBytes = 16;
bool secretbox_seal(const Digest &key, std::string_view plain, std::string &vid_out);
// seal with a given nonce: only for reproducing published test vectors.
bool secretbox_seal_with_nonce(const Digest &key, const uint8_t (&nonce)[kSecretboxNonceBytes],
                               std::string_view plain, std::string &vid_out);
bool secretbox_open(const Digest &key, std::string_view vid, Digest &plain_out);

// Constant-time equality of two 32-byte values.
bool equal_ct(const uint8_t *a, const uint8_t *b, size_t len);

// Wipes memory the compiler may not elide (sodium_memzero).
void wipe(void *p, size_t len);

// Fills buf from the kernel CSPRNG (randombytes_buf).
void random_bytes(uint8_t *buf, size_t len);

// Initialises libsodium once; safe to call from several threads.
bool crypto_init();

// An RAII holder that wipes a Digest when it goes out of scope.
struct WipedDigest {
    Digest d{};
    ~WipedDigest() { wipe(d.data(), d.size()); }
};

}  // namespace s2s
