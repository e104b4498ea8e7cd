// crypto.cpp: HMAC-SHA256 from two digests, secretbox, and secret hygiene.
//
// OpenSSL's EVP dispatch costs more than a SHA-256 block on short inputs, so the
// HMAC here keeps a per-thread EVP_MD_CTX with the digest fetched once and runs
// the RFC 2104 construction itself: inner = H(K^ipad || m), outer = H(K^opad ||
// inner).  The padded key blocks live on the stack and are wiped after use.
#include "crypto.hpp"

#include <openssl/evp.h>
#include <sodium.h>

#include <cstring>
#include <mutex>

namespace s2s {
namespace {

constexpr size_t kBlockBytes = 64;

const EVP_MD *sha256_md() {
    // Fetched once: EVP_sha256() would look the algorithm up on every init.
    static EVP_MD *md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return md;
}

struct DigestCtx {
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    ~DigestCtx() { EVP_MD_CTX_free(ctx); }
};

EVP_MD_CTX *thread_digest_ctx() {
    thread_local DigestCtx holder;
    return holder.ctx;
}

bool digest2(EVP_MD_CTX *ctx, const uint8_t *block, std::string_view a, std::string_view b,
             uint8_t *out) {
    unsigned int n = 0;
    return EVP_DigestInit_ex2(ctx, sha256_md(), nullptr) == 1 &&
           EVP_DigestUpdate(ctx, block, kBlockBytes) == 1 &&
           (a.empty() || EVP_DigestUpdate(ctx, a.data(), a.size()) == 1) &&
           (b.empty() || EVP_DigestUpdate(ctx, b.data(), b.size()) == 1) &&
           EVP_DigestFinal_ex(ctx, out, &n) == 1 && n == kHashBytes;
}

// HMAC over the concatenation a || b, without building it.
bool hmac_concat(const uint8_t *key, size_t key_len, std::string_view a, std::string_view b,
                 Digest &out) {
    if (key_len > kBlockBytes || sha256_md() == nullptr) return false;
    EVP_MD_CTX *ctx = thread_digest_ctx();
    if (ctx == nullptr) return false;

    uint8_t ipad[kBlockBytes], opad[kBlockBytes];
    for (size_t i = 0; i < kBlockBytes; i++) {
        uint8_t k = i < key_len ? key[i] : 0;
        ipad[i] = k ^ 0x36;
        opad[i] = k ^ 0x5c;
    }
    uint8_t inner[kHashBytes];
    bool ok = digest2(ctx, ipad, a, b, inner) &&
              digest2(ctx, opad, std::string_view(reinterpret_cast<char *>(inner), kHashBytes),
                      {}, out.data());
    wipe(ipad, sizeof ipad);
    wipe(opad, sizeof opad);
    wipe(inner, sizeof inner);
    return ok;
}

std::string_view as_view(const Digest &d) {
    return {reinterpret_cast<const char *>(d.data()), d.size()};
}

}  // namespace

bool crypto_init() {
    static int rc = sodium_init();
    return rc >= 0 && sha256_md() != nullptr;
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
