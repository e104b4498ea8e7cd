// crypto.cpp: HMAC-SHA256 from two digests, secretbox, and secret hygiene.
//
// OpenSSL 3's EVP layer costs more per call than a SHA-256 block on short
// inputs (each EVP_DigestInit goes through the provider), and every HMAC here has
// a fresh key (the previous signature), so nothing can be pre-keyed.  The HMAC
// therefore runs the RFC 2104 construction over OpenSSL's low-level SHA-256,
// which uses the same assembly (SHA extensions where the CPU has them) without
// the dispatch: inner = H(K^ipad || m), outer = H(K^opad || inner).  The padded
// key blocks and hash states live on the stack and are wiped after use.
//
// The low-level SHA256_* functions are deprecated in OpenSSL 3 in favour of EVP,
// but not removed; this file is their only user.
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "crypto.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <sodium.h>

#include <cstring>
#include <mutex>

namespace s2s {
namespace {

constexpr size_t kBlockBytes = 64;

// The largest message that fits one final SHA-256 block with its padding.
constexpr size_t kOneBlockMessage = kBlockBytes - 1 - 8;

void store_state(const SHA256_CTX &ctx, uint8_t *out) {
    for (int i = 0; i < 8; i++) {
        uint32_t be = __builtin_bswap32(ctx.h[i]);
        std::memcpy(out + 4 * i, &be, 4);
    }
}

// Whether a block holds secret bytes and must be wiped after use: the inner
// hash of an HMAC is an intermediate MAC; an identifier or caveat is public.
enum class Secret { no, yes };

// Ends a hash that has absorbed exactly one 64-byte block with the short
// message a || b (at most kOneBlockMessage bytes): one compression, with the
// padding built here.
void final_short_block(SHA256_CTX &ctx, std::string_view a, std::string_view b, uint8_t *out,
                       Secret secret) {
    uint8_t last[kBlockBytes];
    size_t n = a.size() + b.size();
    // memcpy from a null pointer is undefined even for zero bytes, and an
    // empty view (an empty caveat) may have a null data().
    if (!a.empty()) std::memcpy(last, a.data(), a.size());
    if (!b.empty()) std::memcpy(last + a.size(), b.data(), b.size());
    last[n] = 0x80;
    std::memset(last + n + 1, 0, kBlockBytes - 8 - (n + 1));
    uint64_t bits = __builtin_bswap64(uint64_t(kBlockBytes + n) * 8);
    std::memcpy(last + kBlockBytes - 8, &bits, 8);
    SHA256_Transform(&ctx, last);
    store_state(ctx, out);
    if (secret == Secret::yes) wipe(last, sizeof last);
}

// Hashes one 64-byte key block followed by a short message: two compressions.
void hash_block_and_short(SHA256_CTX &ctx, const uint8_t *key_block, std::string_view a,
                          std::string_view b, uint8_t *out, Secret secret) {
    SHA256_Init(&ctx);
    SHA256_Transform(&ctx, key_block);
    final_short_block(ctx, a, b, out, secret);
}

void make_pads(const uint8_t *key, size_t key_len, uint64_t (&ipad)[kBlockBytes / 8],
               uint64_t (&opad)[kBlockBytes / 8]) {
    uint64_t key_words[kBlockBytes / 8] = {};
    std::memcpy(key_words, key, key_len);
    for (size_t i = 0; i < kBlockBytes / 8; i++) {
        ipad[i] = key_words[i] ^ 0x3636363636363636ull;
        opad[i] = key_words[i] ^ 0x5c5c5c5c5c5c5c5cull;
    }
    wipe(key_words, sizeof key_words);
}

// HMAC over the concatenation a || b, without building it.  Identifiers and
// caveats are nearly always short, so the common case is four compressions
// with no buffering; longer messages take the streaming path.
bool hmac_concat(const uint8_t *key, size_t key_len, std::string_view a, std::string_view b,
                 Digest &out) {
    if (key_len > kBlockBytes) return false;
    uint64_t ipad[kBlockBytes / 8], opad[kBlockBytes / 8];
    make_pads(key, key_len, ipad, opad);
    uint8_t inner[kHashBytes];
    SHA256_CTX ctx;
    bool ok = true;
    if (a.size() + b.size() <= kOneBlockMessage) {
        hash_block_and_short(ctx, reinterpret_cast<const uint8_t *>(ipad), a, b, inner, Secret::no);
    } else {
        ok = SHA256_Init(&ctx) == 1 && SHA256_Update(&ctx, ipad, kBlockBytes) == 1 &&
             SHA256_Update(&ctx, a.data(), a.size()) == 1 &&
             (b.empty() || SHA256_Update(&ctx, b.data(), b.size()) == 1) &&
             SHA256_Final(inner, &ctx) == 1;
    }
    hash_block_and_short(ctx, reinterpret_cast<const uint8_t *>(opad),
                         {reinterpret_cast<const char *>(inner), kHashBytes}, {}, out.data(),
                         Secret::yes);
    wipe(ipad, sizeof ipad);
    wipe(opad, sizeof opad);
    wipe(inner, sizeof inner);
    wipe(&ctx, sizeof ctx);
    return ok;
}

// Finishes a hash whose state has absorbed exactly one 64-byte block (with
// its length counted, as SHA256_Update leaves it), over a message of any length.
void finish_after_block(SHA256_CTX &ctx, std::string_view msg, uint8_t *out, Secret secret) {
    if (msg.size() <= kOneBlockMessage) {
        final_short_block(ctx, msg, {}, out, secret);
    } else {
        SHA256_Update(&ctx, msg.data(), msg.size());
        SHA256_Final(out, &ctx);
    }
}

std::string_view as_view(const Digest &d) {
    return {reinterpret_cast<const char *>(d.data()), d.size()};
}

}  // namespace

bool crypto_init() {
    static int rc = sodium_init();
    return rc >= 0;
}

static_assert(sizeof(SHA256_CTX) <= sizeof(HmacKeyState{}.inner));

HmacKeyState::~HmacKeyState() {
    wipe(inner, sizeof inner);
    wipe(outer, sizeof outer);
}

bool hmac_prepare(const Digest &key, HmacKeyState &out) {
    uint64_t ipad[kBlockBytes / 8], opad[kBlockBytes / 8];
    make_pads(key.data(), key.size(), ipad, opad);
    // SHA256_Update (not Transform) so the states count the 64 bytes absorbed.
    SHA256_CTX inner, outer;
    bool ok = SHA256_Init(&inner) == 1 && SHA256_Update(&inner, ipad, kBlockBytes) == 1 &&
              SHA256_Init(&outer) == 1 && SHA256_Update(&outer, opad, kBlockBytes) == 1;
    std::memcpy(out.inner, &inner, sizeof inner);
    std::memcpy(out.outer, &outer, sizeof outer);
    wipe(ipad, sizeof ipad);
    wipe(opad, sizeof opad);
    wipe(&inner, sizeof inner);
    wipe(&outer, sizeof outer);
    return ok;
}

bool hmac_sha256_prepared(const HmacKeyState &key, std::string_view msg, Digest &out) {
    SHA256_CTX ctx;
    uint8_t inner[kHashBytes];
    std::memcpy(&ctx, key.inner, sizeof ctx);
    finish_after_block(ctx, msg, inner, Secret::no);
    std::memcpy(&ctx, key.outer, sizeof ctx);
    finish_after_block(ctx, {reinterpret_cast<const char *>(inner), kHashBytes}, out.data(),
                       Secret::yes);
    wipe(inner, sizeof inner);
    wipe(&ctx, sizeof ctx);
    return true;
}

bool hmac_sha256(const uint8_t *key, size_t key_len, std::string_view msg, Digest &out) {
    return hmac_concat(key, key_len, msg, {}, out);
}

bool derive_root_key(std::string_view root_key, Digest &out) {
    static constexpr char generator[] = "macaroons-key-generator";
    return hmac_sha256(reinterpret_cast<const uint8_t *>(generator), sizeof generator - 1,
                       root_key, out);
}

bool hmac_sha256_pair(const Digest &key, std::string_view a, std::string_view b, Digest &out) {
    WipedDigest ha, hb;
    return hmac_sha256(key.data(), key.size(), a, ha.d) &&
           hmac_sha256(key.data(), key.size(), b, hb.d) &&
           hmac_concat(key.data(), key.size(), as_view(ha.d), as_view(hb.d), out);
}

bool bind_signature(const Digest &root_sig, const Digest &discharge_sig, Digest &out) {
    static const Digest zero_key{};
    return hmac_sha256_pair(zero_key, as_view(root_sig), as_view(discharge_sig), out);
}

bool secretbox_seal(const Digest &key, std::string_view plain, std::string &vid_out) {
    if (!crypto_init()) return false;
    uint8_t nonce[kSecretboxNonceBytes];
    randombytes_buf(nonce, sizeof nonce);
    return secretbox_seal_with_nonce(key, nonce, plain, vid_out);
}

bool secretbox_seal_with_nonce(const Digest &key, const uint8_t (&nonce)[kSecretboxNonceBytes],
                               std::string_view plain, std::string &vid_out) {
    if (!crypto_init()) return false;
    vid_out.assign(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plain.size(), '\0');
    auto *p = reinterpret_cast<unsigned char *>(vid_out.data());
    std::memcpy(p, nonce, crypto_secretbox_NONCEBYTES);
    return crypto_secretbox_easy(p + crypto_secretbox_NONCEBYTES,
                                 reinterpret_cast<const unsigned char *>(plain.data()),
                                 plain.size(), p, key.data()) == 0;
}

bool secretbox_open(const Digest &key, std::string_view vid, Digest &plain_out) {
    static_assert(kSecretboxNonceBytes == crypto_secretbox_NONCEBYTES);
    static_assert(kSecretboxMacBytes == crypto_secretbox_MACBYTES);
    if (!crypto_init()) return false;
    if (vid.size() != kSecretboxNonceBytes + kSecretboxMacBytes + kHashBytes) return false;
    const auto *p = reinterpret_cast<const unsigned char *>(vid.data());
    return crypto_secretbox_open_easy(plain_out.data(), p + kSecretboxNonceBytes,
                                      vid.size() - kSecretboxNonceBytes, p, key.data()) == 0;
}

bool equal_ct(const uint8_t *a, const uint8_t *b, size_t len) {
    return CRYPTO_memcmp(a, b, len) == 0;
}

void wipe(void *p, size_t len) { sodium_memzero(p, len); }

void random_bytes(uint8_t *buf, size_t len) {
    crypto_init();
    randombytes_buf(buf, len);
}

}  // namespace s2s
